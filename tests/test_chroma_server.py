"""Ingest and search through a real ``chroma run`` server; results match the embedded store."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import BUNDLED_CORPUS
from drafter.api import Drafter
from drafter.cli.main import app
from drafter.index.embeddings import HashEmbedder
from drafter.index.retrieval import Filters

pytestmark = pytest.mark.server

QUERIES = [
    ("農村公路建設", None),  # traditional
    ("农村公路建设", None),  # the same in simplified
    ("黄桃 合作社 分红", None),
    ("怎样让村里晚上走路不再摸黑", None),
    ("问题 不足", Filters(kinds=["problems"])),
    ("下一步 工作 打算", Filters(kinds=["next_steps"], year_from=2023)),
]


def _chroma_exe() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_heartbeat(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"chroma run exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"chroma run did not answer within {timeout:.0f} s: {log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


@pytest.fixture
def chroma_server(tmp_path):
    """A ``chroma run`` server on a free 127.0.0.1 port; yields its URL, stops it afterwards."""
    exe = _chroma_exe()
    if exe is None:
        pytest.skip("the 'chroma' executable (installed with chromadb) is not on PATH")
    port = _free_port()
    log = tmp_path / "chroma.log"
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [exe, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "server-data")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        _wait_for_heartbeat(url, proc, log)
        yield url
    finally:
        _stop(proc)
        assert proc.poll() is not None, "chroma server still running"
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)  # no process of its group is left


def test_server_and_embedded_store_give_the_same_results(chroma_server, tmp_path):
    runner = CliRunner()
    ingest = runner.invoke(app, ["ingest", str(BUNDLED_CORPUS), "--chroma-url", chroma_server, "--embedder", "hash"])
    assert ingest.exit_code == 0, ingest.output
    embedded = Drafter(embedder=HashEmbedder(), store=tmp_path / "embedded")
    embedded.ingest([BUNDLED_CORPUS])
    remote = Drafter(embedder=HashEmbedder(), chroma_url=chroma_server)
    assert remote.store.count() == embedded.store.count() > 100
    assert remote.store.local_dir != embedded.store.local_dir

    for query, filters in QUERIES:
        for mode in ("hybrid", "dense", "bm25"):
            want = [h.chunk.id for h in embedded.search(query, k=5, filters=filters, mode=mode)]
            got = [h.chunk.id for h in remote.search(query, k=5, filters=filters, mode=mode)]
            assert want and got == want, (query, mode)
    # asking for more than the collection holds returns all of it
    everything = remote.search("工作", k=1000, mode="dense")
    assert len(everything) == remote.store.count()
    # both scripts reach the same passages through the server
    assert [h.chunk.id for h in remote.search("農村公路建設")] == [h.chunk.id for h in remote.search("农村公路建设")]

    # the CLI searches through the server too, with the kind filter
    res = runner.invoke(app, ["search", "问题 不足", "--kind", "problems", "--json", "--chroma-url", chroma_server, "--embedder", "hash"])
    assert res.exit_code == 0, res.output
    hits = json.loads(res.output)
    assert [h["id"] for h in hits] == [h.chunk.id for h in embedded.search("问题 不足", filters=Filters(kinds=["problems"]))]
    assert all(h["section_kind"] == "problems" for h in hits)

    # ingest through the server is idempotent
    again = remote.ingest([BUNDLED_CORPUS])
    assert again.added == 0 and again.removed == 0
