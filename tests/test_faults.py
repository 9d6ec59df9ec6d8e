"""Issue 17: faults a real office will hit. Each test reproduces one with real parts and fails without its fix.

1. merged cells in an .xlsx (made by openpyxl) give every covered row the value; a row still without a unit is reported;
2. an output path that cannot be written is refused before any model call; a write failing at the end
   saves the draft beside the store and says where;
3. a read-only store is called read-only, never corrupt, and nobody is told to delete it;
4. a SIGKILL between removing a file's old chunks and saving the BM25 index leaves no stale index behind;
5. a server answering 200 with HTML, binary or foreign JSON is a model-server error naming the URL (exit 2);
6. a big file is embedded and stored in batches with progress (chunks/s, ETA), and a SIGKILLed
   ``drafter ingest`` resumes where it stopped;
7. ``--store`` or ``DRAFTER_HOME`` that is a file, under a file or unwritable: one clear error;
9. UTF-16 without BOM is read, not called binary;
10. the embedded model server dies with a killed ``write`` at once (the real 0.5B model in one slow test);
11. ``value: 1e400``, errors from ``DRAFTER_*`` variables, unknown ``DRAFTER_*`` variables, ``--debug`` exit 2.

Read-only folders are real: ``chmod`` for a normal user; as root (whom modes do not stop) a read-only
bind mount of the folder onto itself, else ``chattr +i``; a test is skipped only when neither works.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from drafter.api import Drafter
from drafter.index.embeddings import HashEmbedder
from drafter.errors import InputError, ModelError
from drafter.figures import load_figures
from conftest import BUNDLED_CORPUS, REPO
from test_localmodel import FAKE_SERVER, gone
from test_reliability import (  # noqa: F401 - fixtures
    CHILD,
    _child,
    assert_bad_input,
    child_script,
    compose_reply,
    run_cli,
    small_corpus,
    snapshot,
    with_fakes,
)

EXAMPLE = BUNDLED_CORPUS / "figures-example.yaml"
ONE_REPORT = BUNDLED_CORPUS / "2023-baisha-town-report.txt"
PY = sys.executable


# ---------------------------------------------------------------- real read-only folders


def _run(*cmd: str) -> bool:
    return subprocess.run(cmd, capture_output=True).returncode == 0


@contextlib.contextmanager
def read_only(folder: Path):
    """Make ``folder`` and everything under it read-only for real, for the duration of the block.

    Yields the mechanism used: ``chmod`` (not root), ``mount`` (a read-only bind mount, EROFS,
    as a read-only share) or ``chattr`` (immutable files, EPERM).
    """
    folder = Path(folder)
    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        modes = {p: p.stat().st_mode for p in paths}
        for p in reversed(paths):
            p.chmod(modes[p] & ~0o222)
        try:
            yield "chmod"
        finally:
            for p in paths:
                p.chmod(modes[p])
        return
    if _run("mount", "--bind", str(folder), str(folder)):
        if _run("mount", "-o", "remount,ro,bind", str(folder)):
            try:
                yield "mount"
            finally:
                for _ in range(50):
                    if _run("umount", str(folder)):
                        break
                    time.sleep(0.1)
            return
        _run("umount", str(folder))
    if shutil.which("chattr") and _run("chattr", "-R", "+i", str(folder)):
        try:
            yield "chattr"
        finally:
            _run("chattr", "-R", "-i", str(folder))
        return
    pytest.skip("running as root without mount or chattr: no real way to make a folder read-only")


def test_read_only_helper_really_refuses_writes(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "a.txt").write_text("x", encoding="utf-8")
    with read_only(folder):
        with pytest.raises(OSError):
            (folder / "b.txt").write_text("y", encoding="utf-8")
        with pytest.raises(OSError):
            (folder / "a.txt").write_text("y", encoding="utf-8")
    (folder / "b.txt").write_text("y", encoding="utf-8")  # writable again afterwards


# ---------------------------------------------------------------- 1. merged cells in .xlsx


def _merged_workbook(path: Path, extra: list[list[Any]] = ()) -> Path:
    """An office table: the unit 人次 merged over two rows, the section merged over three."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "本期数据"
    ws.append(["name", "value", "unit", "section"])
    ws.append(["开展技能培训", 460, "人次", "work"])
    ws.append(["开展就业帮扶", 320, None, None])
    ws.append(["新建改造农村公路", 4.5, "公里", None])
    for row in extra:
        ws.append(row)
    ws.merge_cells("C2:C3")
    ws.merge_cells("D2:D4")
    wb.save(path)
    return path


def test_merged_cells_give_every_covered_row_the_value(tmp_path):
    path = _merged_workbook(tmp_path / "本期.xlsx")
    import openpyxl

    assert openpyxl.load_workbook(path).active.merged_cells.ranges  # really merged
    fs = load_figures(path)
    assert [(f.name, f.render(), f.section) for f in fs.figures] == [
        ("开展技能培训", "460人次", "work"), ("开展就业帮扶", "320人次", "work"), ("新建改造农村公路", "4.5公里", "work")]
    assert fs.warnings == []


def test_a_correct_draft_checks_clean_against_a_merged_table(tmp_path, capsys):
    path = _merged_workbook(tmp_path / "本期.xlsx")
    draft = tmp_path / "draft.md"
    draft.write_text("一年来，开展技能培训460人次，开展就业帮扶320人次，新建改造农村公路4.5公里。\n", encoding="utf-8")
    code, out, err = run_cli(["check", str(draft), "--figures", str(path)], capsys)
    assert code == 0, out + err
    assert "unit_mismatch" not in out and "clean" in out


def test_a_figure_row_still_without_a_unit_is_reported(tmp_path, capsys):
    path = _merged_workbook(tmp_path / "本期.xlsx", extra=[["召开村民代表大会", 6, None, "work"]])
    fs = load_figures(path)
    assert fs.figures[-1].unit == ""
    [warning] = fs.warnings
    assert "本期.xlsx" in warning and "row 5" in warning and "召开村民代表大会" in warning and "no unit" in warning
    draft = tmp_path / "draft.md"
    draft.write_text("开展技能培训460人次，开展就业帮扶320人次，新建改造农村公路4.5公里，召开村民代表大会6次。\n", encoding="utf-8")
    code, out, err = run_cli(["check", str(draft), "--figures", str(path)], capsys)
    assert f"Warning: {warning}" in err
    csv = tmp_path / "f.csv"
    csv.write_text("name,value,unit\n召开村民代表大会,6,\n新建改造农村公路,4.5公里,\n", encoding="utf-8")
    fs = load_figures(csv)
    assert [f.render() for f in fs.figures] == ["6", "4.5公里"]  # an empty cell still takes the value's own unit
    assert len(fs.warnings) == 1 and "line 2 (召开村民代表大会)" in fs.warnings[0]


def test_write_prints_the_unit_warning(tmp_path, capsys, with_fakes):
    path = _merged_workbook(tmp_path / "本期.xlsx", extra=[["召开村民代表大会", 6, None, "work"]])
    code, out, err = run_cli(["write", "-f", str(path), "-s", "work", "-q", "--corpus", str(ONE_REPORT)], capsys)
    assert "Warning:" in err and "召开村民代表大会" in err and "no unit" in err
    assert "开展就业帮扶320人次" in out


# ---------------------------------------------------------------- 2. output paths


def test_output_into_a_read_only_folder_is_refused_before_any_model_call(tmp_path, capsys, with_fakes):
    folder = tmp_path / "shared"
    folder.mkdir()
    with read_only(folder) as how:
        code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "-o", str(folder / "draft.md"), "-q",
                                "--corpus", str(ONE_REPORT)], capsys)
    assert_bad_input(code, err, str(folder / "draft.md"), "cannot be written")
    assert with_fakes.requests == [], f"the model was called before the output path was checked ({how})"
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("force", [False, True])
def test_output_onto_a_folder_is_refused_without_suggesting_force(force, tmp_path, capsys, with_fakes):
    folder = tmp_path / "drafts"
    folder.mkdir()
    argv = ["write", "-f", str(EXAMPLE), "-s", "work", "-o", str(folder), "-q", "--corpus", str(ONE_REPORT)]
    code, _, err = run_cli(argv + (["--force"] if force else []), capsys)
    assert_bad_input(code, err, str(folder), "is a folder")
    assert "--force" not in err and with_fakes.requests == []


def test_output_under_a_file_is_refused_before_any_model_call(tmp_path, capsys, with_fakes):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine", encoding="utf-8")
    code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "-o", str(blocker / "draft.md"), "-q",
                            "--corpus", str(ONE_REPORT)], capsys)
    assert_bad_input(code, err, str(blocker / "draft.md"), "notes.txt")
    assert with_fakes.requests == [] and blocker.read_text(encoding="utf-8") == "mine"


def test_a_write_failing_at_the_end_saves_the_draft_beside_the_store(tmp_path, capsys, with_fakes, drafter_home):
    """The output folder turns read-only while the model works (a share remounted, a colleague's chmod)."""
    folder = tmp_path / "shared"
    folder.mkdir()
    out = folder / "draft.md"
    stack = contextlib.ExitStack()

    def reply(messages):
        if not stack._exit_callbacks:  # the first model call: the folder goes read-only now
            stack.enter_context(read_only(folder))
        return compose_reply(messages)

    with_fakes.default = reply
    with stack:
        code, stdout, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "-o", str(out), "-q",
                                     "--corpus", str(ONE_REPORT)], capsys)
    assert with_fakes.requests, "the model was never called"
    assert code == 2 and "Traceback" not in err, err
    saved = re.search(r"saved to (\S+\.md)", err)
    assert saved, err
    kept = Path(saved.group(1))
    assert kept.parent == drafter_home / "drafts"  # beside the store ($DRAFTER_HOME/store)
    assert "新建改造农村公路4.5公里" in kept.read_text(encoding="utf-8")
    assert str(out) in err and not out.exists()
    assert err.strip().splitlines()[-1].startswith("Error: ")


# ---------------------------------------------------------------- 3. read-only store


def test_a_read_only_store_is_not_called_corrupt(small_corpus, tmp_path, capsys):
    store = tmp_path / "store"
    code, _, err = run_cli(["ingest", str(small_corpus), "--embedder", "hash", "--store", str(store)], capsys)
    assert code == 0, err
    before = snapshot(store)
    with read_only(store):
        for argv in (["search", "农村公路"], ["ingest", str(small_corpus)], ["corpus", "list"]):
            code, _, err = run_cli(argv + ["--embedder", "hash", "--store", str(store)], capsys)
            assert_bad_input(code, err, str(store), "read-only")
            assert "corrupt" not in err and "delete" not in err.lower(), err
    assert snapshot(store) == before
    code, out, err = run_cli(["search", "农村公路", "--embedder", "hash", "--store", str(store)], capsys)
    assert code == 0 and "score" in out, err  # the data was fine all along


def test_a_corrupt_store_is_still_called_corrupt(tmp_path, capsys):
    bad = tmp_path / "bad"
    (bad / "chroma").mkdir(parents=True)
    (bad / "chroma" / "chroma.sqlite3").write_bytes(b"this is not sqlite" * 100)
    code, _, err = run_cli(["search", "路灯", "--embedder", "hash", "--store", str(bad)], capsys)
    assert_bad_input(code, err, str(bad), "corrupt")
    assert "read-only" not in err


# ---------------------------------------------------------------- 4. BM25 index stale after a kill


EDIT_FROM, EDIT_TO = "路灯", "灯柱"  # same length, one chunk's text changes, the chunk count does not


def _edit_one_chunk(corpus: Path) -> Path:
    for f in sorted(corpus.glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        if EDIT_FROM in text:
            f.write_text(text.replace(EDIT_FROM, EDIT_TO, 1), encoding="utf-8")
            return f
    raise AssertionError(f"no {EDIT_FROM} in the corpus")


def _bm25_ids(store: Path, query: str) -> list[str]:
    return [h.chunk.id for h in Drafter(embedder=HashEmbedder(), store=store).search(query, k=5, mode="bm25")]


@pytest.mark.parametrize("then", ["ingest", "search"])
def test_kill_before_the_lexical_save_leaves_no_stale_bm25_index(then, small_corpus, child_script, tmp_path):
    from drafter.index.lexical import LexicalIndex

    store = tmp_path / "store"
    first = Drafter(embedder=HashEmbedder(), store=store).ingest([small_corpus])
    _edit_one_chunk(small_corpus)
    proc = _child(child_script, small_corpus, store, "before_lexical", 0)  # SIGKILL after the delete, before the save
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    d = Drafter(embedder=HashEmbedder(), store=store)
    assert d.store.count() == first.total_chunks  # same number of chunks: a count cannot tell
    assert set(LexicalIndex.load(store / "lexical").meta.ids) != {c.id for c in d.store.all_chunks()}
    if then == "ingest":
        again = d.ingest([small_corpus])
        assert again.added == again.removed == 0
    hits = _bm25_ids(store, EDIT_TO)
    edited = [c.id for c in Drafter(embedder=HashEmbedder(), store=store).store.all_chunks() if EDIT_TO in c.text]
    assert edited and edited[0] in hits
    assert set(LexicalIndex.load(store / "lexical").meta.ids) == {c.id for c in d.store.all_chunks()}


# ---------------------------------------------------------------- 5. a server answering 200 with the wrong body


class WrongBodyServer:
    """A real HTTP server answering every POST with status 200 and a body that is no chat completion."""

    BODIES = {
        "html": ("text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>统一身份认证</title></head><body>请登录</body></html>".encode()),
        "binary": ("application/octet-stream", bytes(range(256)) * 8),
        "json": ("application/json", json.dumps({"status": "ok", "data": [1, 2, 3]}).encode()),
        "badjson": ("application/json", b"<html>proxy error</html>"),
    }

    def __init__(self, kind: str) -> None:
        self.kind, self.requests = kind, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                ctype, body = outer.BODIES[outer.kind]
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(params=list(WrongBodyServer.BODIES))
def wrong_body(request):
    srv = WrongBodyServer(request.param)
    yield srv
    srv.close()


NEEDLES = {"html": "text/html", "binary": "application/octet-stream", "json": "status", "badjson": "proxy error"}


@pytest.mark.parametrize("stream", [False, True])
def test_a_200_that_is_no_completion_is_a_model_error_naming_the_url(wrong_body, stream):
    from drafter.llm.client import OpenAIClient

    client = OpenAIClient(wrong_body.base_url, "m", api_key_env=None, max_retries=2, backoff=0.01, timeout=5)
    with pytest.raises(ModelError) as info:
        client.complete([{"role": "user", "content": "写"}], max_tokens=5, temperature=0,
                        on_token=(lambda t: None) if stream else None)
    msg = str(info.value)
    assert wrong_body.base_url in msg and "HTTP 200" in msg and NEEDLES[wrong_body.kind] in msg, msg
    assert "\n" not in msg and "\x00" not in msg
    assert wrong_body.requests == 1  # not retried: the same URL would answer the same


def test_write_against_a_server_answering_html_exits_2(tmp_path, capsys):
    srv = WrongBodyServer("html")
    try:
        out = tmp_path / "d.md"
        code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "--base-url", srv.base_url, "--model", "m",
                                "--embedder", "hash", "--corpus", str(ONE_REPORT), "-o", str(out), "-q"], capsys)
    finally:
        srv.close()
    assert_bad_input(code, err, srv.base_url, "text/html", "统一身份认证")
    assert not out.exists()


# ---------------------------------------------------------------- 6. a big file: batches, progress, resume


def _big_file(path: Path, megabytes: float) -> Path:
    """Real report prose of the bundled corpus, repeated with every number shifted so that no chunk repeats."""
    from drafter.testing import big_report_file

    return big_report_file(path, megabytes)


SLOW_CLI = textwrap.dedent('''
    import sys, time
    from drafter.index import embeddings
    class Slow(embeddings.HashEmbedder):  # the hash embedder at the pace of a fast real model (80 chunks/s)
        batch_size = 16
        def embed_batch(self, texts, is_query):
            time.sleep(0.2)
            return super().embed_batch(texts, is_query)
    real = embeddings.get_embedder
    embeddings.get_embedder = lambda spec=None, **kw: Slow() if spec == "hash" else real(spec, **kw)
    from drafter.cli.main import main
    main(sys.argv[1:])
''')


def test_a_big_file_is_stored_in_batches_with_progress_and_a_killed_ingest_resumes(tmp_path, capsys, monkeypatch):
    from drafter.index.lexical import LexicalIndex

    (tmp_path / "corpus").mkdir()
    big = _big_file(tmp_path / "corpus" / "历年工作总结汇编.txt", 0.6)
    store, script = tmp_path / "store", tmp_path / "slow_cli.py"
    script.write_text(SLOW_CLI, encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([PY, str(script), "ingest", str(big), "--embedder", "hash", "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if sum("chunks/s" in ln for ln in lines) >= 2:  # two batches stored: kill it now
            proc.send_signal(signal.SIGKILL)
            break
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(lines)
    progress = [ln for ln in lines if "chunks/s" in ln]
    assert progress and all("ETA" in ln and "历年工作总结汇编.txt" in ln for ln in progress), lines
    total = int(re.search(r"/([\d,]+) chunks", progress[0]).group(1).replace(",", ""))
    stored = Drafter(embedder=HashEmbedder(), store=store).store.count()
    assert 0 < stored < total, (stored, total)  # batches were committed before the kill; not all of them

    from drafter.cli import ingest as ingest_cli

    monkeypatch.setattr(ingest_cli, "BIG_FILE", 100_000)  # the 0.6 MB file counts as big: reading and indexing get a line
    monkeypatch.setattr(ingest_cli, "BIG_INDEX", 100)
    code, out, err = run_cli(["ingest", str(big), "--embedder", "hash", "--store", str(store)], capsys)
    assert code == 0, err
    assert f"历年工作总结汇编.txt: reading {big.stat().st_size / 2**20:.1f} MB and splitting it into chunks" in err
    assert re.search(rf"{stored:,} of {total:,} chunks already in the store; embedding the other {total - stored:,}", err), err
    assert f"Indexing {total:,} chunks for keyword search (BM25)" in err
    d = Drafter(embedder=HashEmbedder(), store=store)
    ids = sorted(c.id for c in d.store.all_chunks())
    ref = Drafter(embedder=HashEmbedder(), store=tmp_path / "reference")
    ref.ingest([big])
    assert ids == sorted(c.id for c in ref.store.all_chunks()) and len(ids) == total
    assert sorted(LexicalIndex.load(store / "lexical").meta.ids) == ids


def test_ingest_reports_its_stages_and_batches_to_the_api(tmp_path):
    big = _big_file(tmp_path / "big.txt", 0.15)
    seen = []
    d = Drafter(embedder=HashEmbedder(), store=tmp_path / "store")
    rep = d.ingest([big], on_progress=seen.append)
    assert [p.stage for p in seen[:2]] == ["reading", "embedding"] and seen[0].size_bytes == big.stat().st_size
    assert seen[-1].stage == "indexing" and seen[-1].total == rep.total_chunks
    batches = [p for p in seen if p.stage == "embedding"]
    assert batches[0].done == 0 and batches[-1].done == batches[-1].total == rep.added > 256
    assert [p.done for p in batches] == sorted(p.done for p in batches) and len(batches) >= 3
    assert all(p.stored_before == 0 for p in batches)


# ---------------------------------------------------------------- 7. --store / DRAFTER_HOME that cannot hold a store


def _blocker(tmp_path: Path) -> Path:
    f = tmp_path / "notes.txt"
    f.write_text("mine", encoding="utf-8")
    return f


@pytest.mark.parametrize("argv", [["ingest", "CORPUS"], ["search", "农村公路"], ["corpus", "list"]], ids=["ingest", "search", "corpus"])
@pytest.mark.parametrize("where", ["file", "under_file"])
def test_store_that_is_or_lies_under_a_file(where, argv, tmp_path, capsys):
    blocker = _blocker(tmp_path)
    store = blocker if where == "file" else blocker / "store"
    argv = [str(ONE_REPORT) if a == "CORPUS" else a for a in argv]
    code, _, err = run_cli(argv + ["--embedder", "hash", "--store", str(store)], capsys)
    assert_bad_input(code, err, str(store), "is a file" if where == "file" else f"lies under the file {blocker}")
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_store_in_an_unwritable_folder(tmp_path, capsys):
    parent = tmp_path / "share"
    parent.mkdir()
    with read_only(parent):
        code, _, err = run_cli(["ingest", str(ONE_REPORT), "--embedder", "hash", "--store", str(parent / "store")], capsys)
    assert_bad_input(code, err, str(parent / "store"), "cannot")
    assert list(parent.iterdir()) == []


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_drafter_home_that_is_or_lies_under_a_file(where, tmp_path, capsys, monkeypatch):
    blocker = _blocker(tmp_path)
    home = blocker if where == "file" else blocker / "home"
    monkeypatch.setenv("DRAFTER_HOME", str(home))
    for argv in (["ingest", str(ONE_REPORT), "--embedder", "hash"], ["search", "公路", "--embedder", "hash"],
                 ["write", "-f", str(EXAMPLE), "-s", "work", "--embedder", "hash"]):
        code, _, err = run_cli(argv, capsys)
        assert_bad_input(code, err, f"DRAFTER_HOME={home}", "is a file" if where == "file" else f"lies under the file {blocker}")
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_drafter_home_unwritable(tmp_path, capsys, monkeypatch):
    parent = tmp_path / "share"
    parent.mkdir()
    monkeypatch.setenv("DRAFTER_HOME", str(parent / "home"))
    with read_only(parent):
        code, _, err = run_cli(["ingest", str(ONE_REPORT), "--embedder", "hash"], capsys)
    assert_bad_input(code, err, str(parent / "home"), "cannot")


def test_unwritable_drafter_home_with_a_store_elsewhere_names_the_model_cache(tmp_path, capsys, monkeypatch):
    """The store is fine, but the embedded model would be joined under $DRAFTER_HOME: a clear error, no traceback."""
    store = tmp_path / "store"
    Drafter(embedder=HashEmbedder(), store=store).ingest([ONE_REPORT])
    parent = tmp_path / "share"
    parent.mkdir()
    monkeypatch.setenv("DRAFTER_HOME", str(parent / "home"))
    with read_only(parent):
        code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "--store", str(store), "--embedder", "hash", "-q"], capsys)
    assert_bad_input(code, err, str(parent / "home" / "cache" / "models"), "model cache", "DRAFTER_HOME")


def test_an_unwritable_reply_cache_keeps_the_reply(tmp_path, caplog):
    from drafter.llm.client import CachedClient
    from drafter.testing import FakeLLM

    cache = tmp_path / "cache"
    cache.mkdir()
    client = CachedClient(FakeLLM(default="第一段。"), cache)
    with read_only(cache):
        reply = client.complete([{"role": "user", "content": "写"}], max_tokens=5, temperature=0)
    assert reply.text == "第一段。" and "cannot write the reply cache" in caplog.text


# ---------------------------------------------------------------- 9. UTF-16 without BOM


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_not_called_binary(codec, tmp_path, capsys):
    from drafter.corpus.loaders import LoadedText, read_document

    text = ONE_REPORT.read_text(encoding="utf-8")
    f = tmp_path / "corpus" / "2023年白沙镇工作报告.txt"
    f.parent.mkdir()
    data = text.encode(codec)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in data  # no BOM, NUL bytes inside
    f.write_bytes(data)
    got = read_document(f)
    assert isinstance(got, LoadedText), got
    assert got.text == text and got.encoding == codec
    code, out, err = run_cli(["ingest", str(f.parent), "--embedder", "hash", "--store", str(tmp_path / "s")], capsys)
    assert code == 0 and "skipped 0 files" in out and "binary" not in out, out + err
    d = Drafter(embedder=HashEmbedder(), store=tmp_path / "s")
    assert [f.encoding for f in d.ingest([f.parent]).files] == [codec]
    hits = d.search("四好农村路", k=3)
    assert hits and "四好农村路" in " ".join(h.chunk.text for h in hits)


def test_binary_with_nul_bytes_is_still_binary(tmp_path):
    from drafter.corpus.loaders import Skipped, read_document

    f = tmp_path / "x.txt"
    f.write_bytes(bytes(range(256)) * 40)
    assert isinstance(read_document(f), Skipped)


# ---------------------------------------------------------------- 10. the embedded server dies with a killed write


BUSY_SERVER = FAKE_SERVER.replace(
    'print("fake server starting", flush=True)',
    'print("fake server starting", flush=True)\n'
    'import signal\n'
    '# like uvicorn with a generation in flight: on SIGTERM it first finishes the reply (here 30 s)\n'
    'signal.signal(signal.SIGTERM, lambda *a: (time.sleep(30), sys.exit(0)))',
)


def _program(tmp_path: Path, how: str) -> str:
    (tmp_path / "busy_server.py").write_text(BUSY_SERVER, encoding="utf-8")
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    return textwrap.dedent(f'''
        import os, signal, sys, threading, time
        from pathlib import Path
        from drafter.llm import localmodel
        localmodel._check_llama_cpp = lambda: None
        localmodel.LocalServer._command = lambda self, port: [sys.executable, {str(tmp_path / "busy_server.py")!r}, str(port), "ok"]
        def start():
            srv = localmodel.LocalServer(Path({str(tmp_path / "model.gguf")!r}), alias="fake", log_dir=Path({str(tmp_path)!r}))
            srv.start()
            print(srv.pid, flush=True)
        if {how!r} == "thread":  # a server started by a worker thread (a web page's request)
            t = threading.Thread(target=start); t.start(); t.join()
        else:
            start()
        time.sleep(600)
    ''')


@pytest.mark.parametrize("how", ["main", "thread"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_busy_server_dies_at_once_with_its_killed_parent(how, sig, tmp_path):
    proc = subprocess.Popen([PY, "-c", _program(tmp_path, how)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pid = int(proc.stdout.readline())
        assert not gone(pid, wait=0.5)  # it is up
        t0 = time.monotonic()
        proc.send_signal(sig)
        proc.wait(10)
        assert gone(pid, wait=5), f"the server outlived its parent ({how}, {sig.name})"
        assert time.monotonic() - t0 < 5
    finally:
        proc.kill()
        proc.wait()


def test_ctrl_c_stops_a_busy_server_at_once(tmp_path):
    """Ctrl-C in the command: stop() gives the server a second for SIGTERM, then SIGKILLs its group."""
    prog = _program(tmp_path, "main").split("def start():")[0] + textwrap.dedent(f'''
        srv = localmodel.LocalServer(Path({str(tmp_path / "model.gguf")!r}), alias="fake", log_dir=Path({str(tmp_path)!r}))
        srv.start()
        try:
            print(srv.pid, flush=True)
            time.sleep(600)
        except KeyboardInterrupt:
            t0 = time.monotonic()
            srv.stop()
            print("stopped", round(time.monotonic() - t0, 2), flush=True)
    ''')
    proc = subprocess.Popen([PY, "-c", prog], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pid = int(proc.stdout.readline())
        proc.send_signal(signal.SIGINT)
        word, seconds = proc.stdout.readline().split()
        assert word == "stopped" and float(seconds) < 3, (word, seconds)
        assert gone(pid, wait=1)
    finally:
        proc.kill()
        proc.wait()


def _server_children(parent: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError):
                cmd = (d / "cmdline").read_bytes().replace(b"\x00", b" ").decode()
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if ppid == parent and "llama_cpp.server" in cmd:
                    out.append(int(d.name))
    return out


def _cpu_seconds(pid: int) -> float:
    fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.slow
def test_real_embedded_server_dies_with_a_killed_write(tmp_path, model_cache_dir):
    """The real 0.5B model generating a section (a non-streamed JSON reply, as ``compose`` asks for) when
    ``drafter write`` is SIGKILLed: the server is gone within seconds, not after finishing the reply."""
    pytest.importorskip("llama_cpp")
    from drafter.llm.localmodel import ensure_model_file

    joined = ensure_model_file("qwen2.5-coder-0.5b", model_cache_dir)
    home = tmp_path / "home"
    (home / "cache" / "models").mkdir(parents=True)
    for f in (joined, joined.with_name(joined.name + ".json")):
        os.symlink(f, home / "cache" / "models" / f.name)
    env = {**os.environ, "DRAFTER_HOME": str(home), "DRAFTER_LOCAL_MODEL": "qwen2.5-coder-0.5b", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([PY, "-m", "drafter.cli", "write", "-f", str(EXAMPLE), "--embedder", "hash", "--strategy", "compose",
                             "--corpus", str(ONE_REPORT)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        got = b""
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and b"drafting" not in got:
            chunk = os.read(proc.stderr.fileno(), 256)
            if not chunk:
                break
            got += chunk
        servers = _server_children(proc.pid)
        while not servers and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)  # the embedded server starts lazily, at the section's first model call
            servers = _server_children(proc.pid)
        assert b"drafting" in got and servers, got.decode("utf-8", "replace")
        busy_from = _cpu_seconds(servers[0])
        while time.monotonic() < deadline and _cpu_seconds(servers[0]) - busy_from < 1.0:
            time.sleep(0.1)  # the server is working on the request: a generation is in flight
        assert proc.poll() is None, "the write ended before it could be killed"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert gone(servers[0], wait=1.0), "the llama.cpp server outlived the killed write (finishing its reply)"
        print(f"server gone {time.monotonic() - t0:.2f} s after the SIGKILL")  # before the fix: the rest of the reply
    finally:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------- 11. messages


def test_exponent_value_is_not_read_as_a_unit(tmp_path, capsys, with_fakes):
    f = tmp_path / "f.yaml"
    f.write_text("figures:\n  - {name: 村集体经济收入, value: 1e400, unit: 万元}\n", encoding="utf-8")
    code, _, err = run_cli(["write", "-f", str(f), "-q"], capsys)
    assert_bad_input(code, err, "f.yaml", "figure #1 (村集体经济收入)", "1e400", "exponent")
    assert "unit 'e400'" not in err
    f.write_text("figures:\n  - {name: 村集体经济收入, value: 1e400}\n", encoding="utf-8")
    with pytest.raises(InputError, match="exponent"):
        load_figures(f)
    j = tmp_path / "f.json"
    j.write_text('{"figures": [{"name": "村集体经济收入", "value": 1e400, "unit": "万元"}]}', encoding="utf-8")
    with pytest.raises(InputError, match="finite.*1e400"):
        load_figures(j)


@pytest.mark.parametrize("var, value, needle", [
    ("DRAFTER_THREADS", "two", "setting 'threads'"),
    ("DRAFTER_TIMEOUT", "-5", "setting 'timeout'"),
    ("DRAFTER_SCRIPT", "cyrillic", "setting 'script'"),
    ("DRAFTER_CONFIG", "/nonexistent/drafter.yaml", "config file not found"),
])
def test_errors_from_environment_variables_name_the_variable(var, value, needle, capsys, monkeypatch):
    monkeypatch.setenv(var, value)
    code, _, err = run_cli(["search", "农村公路", "--embedder", "hash"], capsys)
    assert_bad_input(code, err, f"{var}=", value, needle)


def test_unknown_drafter_variables_are_warned_about(capsys, monkeypatch, tmp_path):
    from drafter import config

    monkeypatch.setattr(config, "_WARNED", set())
    monkeypatch.setenv("DRAFTER_EMBEDER", "hash")  # misspelt: without the warning it is silently the default
    monkeypatch.setenv("DRAFTER_TEST_CACHE", str(tmp_path))  # legitimate, test-only
    monkeypatch.setenv("DRAFTER_CONFIG", str(tmp_path / "cfg.yaml"))
    (tmp_path / "cfg.yaml").write_text("embedder: hash\n", encoding="utf-8")
    code, _, err = run_cli(["ingest", str(ONE_REPORT), "--store", str(tmp_path / "s")], capsys)
    assert code == 0, err
    warnings = [ln for ln in err.splitlines() if ln.startswith("Warning:")]
    assert len(warnings) == 1 and "DRAFTER_EMBEDER" in warnings[0] and "did you mean DRAFTER_EMBEDDER" in warnings[0]
    assert config.unknown_env_vars({"DRAFTER_HOME": "x", "DRAFTER_CONFIG": "y", "DRAFTER_TEST_CACHE": "z",
                                    "DRAFTER_DEBUG": "1", "DRAFTER_STORE": "s", "DRAFTER_BASE_URL": "u"}) == []
    assert "DRAFTER_THREADS" in config.known_env_vars()


def test_debug_on_bad_input_shows_the_traceback_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("figures: [{name: 公路, value: 很多, unit: 公里}]", encoding="utf-8")
    env = {**os.environ, "DRAFTER_HOME": str(tmp_path / "home")}
    res = subprocess.run([PY, "-m", "drafter.cli", "--debug", "write", "--figures", str(bad)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2, res.stderr
    assert "Traceback" in res.stderr and "InputError" in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("Error: ") and "bad.yaml" in res.stderr
