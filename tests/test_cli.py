"""The CLI commands over the library: ingest, corpus list/show, search, prompts; every command has help."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from drafter.cli.main import app
from conftest import BUNDLED_CORPUS, SHARED_FILE

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Rich tables wrap at the terminal width; give them room so titles stay whole."""
    monkeypatch.setenv("COLUMNS", "250")


def invoke(*args: str):
    res = runner.invoke(app, list(args))
    return res


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("DRAFTER_EMBEDDER", "hash")
    path = tmp_path / "store"
    res = invoke("ingest", str(BUNDLED_CORPUS), str(SHARED_FILE), "--store", str(path))
    assert res.exit_code == 0, res.output
    return path


def test_ingest_summary_and_idempotence(store):
    res = invoke("ingest", str(BUNDLED_CORPUS), "--store", str(store))
    assert res.exit_code == 0 and "added 0" in res.output
    assert "skipped 1 files" in res.output  # figures-example.yaml, skipped with its reason


def test_corpus_list_and_show(store):
    res = invoke("corpus", "list", "--store", str(store))
    assert res.exit_code == 0
    for i in (1, 5, 11):
        assert f"鄉村振興駐村工作情況彙報{i}" in res.output
    assert "柳塘村2024年驻村工作总结" in res.output
    res = invoke("corpus", "show", "鄉村振興駐村工作情況彙報1", "--store", str(store))
    assert res.exit_code == 0 and "一、工作開展情況" in res.output and "二、存在問題" in res.output
    res = invoke("corpus", "show", "no-such-report", "--store", str(store))
    assert res.exit_code != 0


def test_search_json_fields_and_filters(store):
    res = invoke("search", "農村公路建設", "--k", "3", "--json", "--store", str(store))
    assert res.exit_code == 0, res.output
    hits = json.loads(res.output)
    assert len(hits) == 3 and {"report", "section_path", "score", "retrievers", "text"} <= set(hits[0])
    res = invoke("search", "存在的問題", "--kind", "problems", "--year-from", "2023", "--json", "--store", str(store))
    hits = json.loads(res.output)
    assert hits and all(h["section_kind"] == "problems" and h["year"] >= 2023 for h in hits)
    res = invoke("search", "农村公路", "--store", str(store))
    assert "score" in res.output and "›" in res.output


def test_prompts_list_and_show():
    res = invoke("prompts", "list")
    assert res.exit_code == 0 and "work" in res.output and "problems" in res.output
    res = invoke("prompts", "show", "work")
    assert res.exit_code == 0 and "variables:" in res.output and "section: work" in res.output


def _commands(group, prefix=()):
    import typer.main

    cmd = typer.main.get_command(group)
    out = []

    def walk(c, path):
        subs = getattr(c, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, path + (name,))
        else:
            out.append((path, c))

    walk(cmd, prefix)
    return out


def test_every_command_has_help():
    commands = _commands(app)
    assert len(commands) >= 10
    for path, cmd in commands:
        assert (cmd.help or "").strip(), f"drafter {' '.join(path)} has no help text"
        res = invoke(*path, "--help")
        assert res.exit_code == 0, path
