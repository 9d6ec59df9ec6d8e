"""Output that pipes: tables whole when stdout is a pipe, ``--json`` on corpus list / ingest / search,
and files written with the user's normal permissions.

The commands run as real subprocesses with stdout a pipe (``corpus list |
grep`` through bash), as a user's shell runs them.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUNDLED_CORPUS, REPO, SHARED_FILE
from fake_servers import ChatServer
from test_drafting import json_writer

CLI = [sys.executable, "-m", "drafter.cli"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipes")
    e = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTER_")}
    e.update({"PYTHONPATH": str(REPO), "DRAFTER_HOME": str(tmp / "home"), "DRAFTER_EMBEDDER": "hash",
              "DRAFTER_STORE": str(tmp / "store"), "COLUMNS": "40"})
    return e


def run(env, *args: str, umask: int | None = None) -> subprocess.CompletedProcess:
    pre = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300, preexec_fn=pre)


@pytest.fixture(scope="module")
def ingested(env):
    res = run(env, "ingest", str(BUNDLED_CORPUS), str(SHARED_FILE), "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_ingest_json(ingested):
    assert ingested["added"] == ingested["total_chunks"] > 100 and ingested["skipped"] == 1
    by_name = {Path(f["source"]).name: f for f in ingested["files"]}
    assert by_name["figures-example.yaml"]["skipped"].startswith("unsupported file type")
    assert by_name[SHARED_FILE.name]["reports"] > 5 and by_name[SHARED_FILE.name]["encoding"]


def test_corpus_list_is_whole_when_piped(env, ingested):
    reports = json.loads(run(env, "corpus", "list", "--json").stdout)
    assert len(reports) == sum(f["reports"] for f in ingested["files"])
    table = run(env, "corpus", "list").stdout  # stdout is a pipe, COLUMNS=40
    for r in reports:
        assert r["title"] in table, f"title cut when piped: {r['title']}"
        assert any(r["title"] in line and r["id"][:10] in line for line in table.splitlines()), "a row was wrapped"
    assert "…" not in table


def test_corpus_list_through_grep(env, ingested):
    title = next(r["title"] for r in json.loads(run(env, "corpus", "list", "--json").stdout) if r["title"].endswith("11"))
    cmd = f"{shlex.join(CLI)} corpus list | grep -F {shlex.quote(title)}"
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0 and res.stdout.count("\n") == 1 and title in res.stdout


def test_ingest_table_whole_when_piped(env, ingested):
    res = run(env, "ingest", str(BUNDLED_CORPUS))
    assert res.returncode == 0
    for name in ("2023-liutang-village-summary.txt", "unsupported file type '.yaml'"):
        assert name in res.stdout
    assert "added 0" in res.stdout


def test_search_and_corpus_show_json(env, ingested):
    hits = json.loads(run(env, "search", "农村公路建设", "--k", "3", "--json").stdout)
    assert len(hits) == 3 and all(h["text"] for h in hits)
    first = json.loads(run(env, "corpus", "list", "--json").stdout)[0]
    shown = json.loads(run(env, "corpus", "show", first["id"][:10], "--json").stdout)
    assert shown["title"] == first["title"] and len(shown["chunks"]) == first["chunks"]


def test_prompts_list_whole_when_piped(env):
    out = run(env, "prompts", "list").stdout
    assert str(REPO / "drafter" / "data" / "prompts" / "work.md") in out


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_drafts_get_the_users_permissions(env, tmp_path, mask, mode):
    with ChatServer(json_writer) as srv:
        for name in ("draft.md", "draft.docx"):
            out = tmp_path / name
            res = run(env, "write", "-f", str(BUNDLED_CORPUS / "figures-example.yaml"), "--section", "work",
                      "--base-url", srv.base_url, "--model", "fake", "-q", "-o", str(out), umask=mask)
            assert res.returncode == 0, res.stderr
            assert out.stat().st_mode & 0o777 == mode, name
