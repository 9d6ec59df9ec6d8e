"""``drafter eval run|rescore|compare`` through the CLI, with a scripted model and the hash embedder."""

from __future__ import annotations

import contextlib
import json
import sys

import pytest
import typer
from typer.testing import CliRunner

from drafter.cli.main import app, main
from test_evals import SUITE, ScriptedLLM

runner = CliRunner()


@pytest.fixture()
def llm(monkeypatch):
    """The model every eval command gets instead of the embedded server."""
    fake = ScriptedLLM()
    monkeypatch.setenv("DRAFTER_EMBEDDER", "hash")
    monkeypatch.setattr("drafter.llm.client.open_client", lambda settings, cache=False: contextlib.nullcontext(fake))
    return fake


@pytest.fixture()
def checker():
    pytest.importorskip("drafter.guard.check", reason="drafter.guard.check (the number checker) is not written yet")


def invoke(*args: str):
    return runner.invoke(app, ["eval", *map(str, args)])


def test_eval_group_has_commands_and_is_extendable():
    from drafter.cli import eval as eval_cli

    assert isinstance(eval_cli.eval_app, typer.Typer)
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("run", "rescore", "compare"):
        assert name in result.output
    for name in ("run", "rescore", "compare"):
        sub = invoke(name, "--help")
        assert sub.exit_code == 0 and len(sub.output) > 200


def test_run_rescore_compare(llm, checker, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    first = invoke("run", SUITE, "--strategy", "compose", "--out", a, "-q")
    assert first.exit_code == 0, first.output
    assert "clean share" in first.output and "report.html" in first.output
    for name in ("records.jsonl", "summary.json", "report.html", "run.json"):
        assert (a / name).exists()
    calls = len(llm.requests)
    assert calls > 0

    again = invoke("run", SUITE, "--strategy", "compose", "--out", c, "-q")
    assert again.exit_code == 0 and "model calls 0" in again.output
    assert len(llm.requests) == calls

    free = invoke("run", SUITE, "--strategy", "free", "--out", b, "-q")
    assert free.exit_code == 0, free.output

    rescored = invoke("rescore", a)
    assert rescored.exit_code == 0 and "Re-scored 3 output(s)" in rescored.output
    assert len(llm.requests) > calls  # the free run called; rescore did not (checked in test_evals)

    worse = invoke("compare", a, b, "--fail-on-regression")
    assert worse.exit_code == 1, worse.output
    assert "REGRESSION" in worse.output and "invented" in worse.output
    assert invoke("compare", a, b).exit_code == 0  # reported, not failed, without the flag
    assert invoke("compare", a, c, "--fail-on-regression").exit_code == 0
    assert invoke("compare", b, a, "--fail-on-regression").exit_code == 0  # B better than A

    as_json = invoke("compare", a, b, "--json", "--threshold", "invented=100", "--threshold", "clean=1",
                     "--threshold", "recall=1", "--threshold", "stale=100", "--threshold", "genre_clean=1",
                     "--fail-on-regression")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["regressed"] is False and data["thresholds"]["invented"] == 100


def test_resume_without_suite_reuses_the_run(llm, checker, tmp_path):
    out = tmp_path / "run"
    assert invoke("run", SUITE, "-s", "compose", "-s", "free", "--out", out, "-q").exit_code == 0
    n = len(llm.requests)
    resumed = invoke("run", "--resume", out, "-q")
    assert resumed.exit_code == 0, resumed.output
    assert len(llm.requests) == n and "6/6 outputs" in resumed.output


def test_ctrl_c_exits_130_and_says_how_to_resume(llm, checker, tmp_path, monkeypatch):
    def interrupt(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(llm, "complete", interrupt)
    result = invoke("run", SUITE, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 130
    assert "--resume" in result.output


@pytest.mark.parametrize("args, message", [
    (["eval", "run", "nope.yaml"], "cannot read the suite"),
    (["eval", "run", str(SUITE), "--strategy", "telepathy"], "Unknown number strategy"),
    (["eval", "rescore", "/nonexistent/run"], "run.json not found"),
    (["eval", "compare", "/nonexistent/a", "/nonexistent/b"], "not an eval run folder"),
    (["eval", "run", str(SUITE), "--model", "gpt-9"], "Unknown local model"),
])
def test_user_errors_exit_2_with_one_line(monkeypatch, capsys, args, message):
    monkeypatch.setattr(sys, "argv", ["drafter", *args])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error:") and message in err and "Traceback" not in err


def test_bad_suite_names_case_and_field(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ncases:\n  - {id: only, section: work, figures: {figures: [{name: x, value: 1, unit: 个}]}, tgs: [x]}\n",
                   encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["drafter", "eval", "run", str(bad)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert "case 'only': unknown field 'tgs'" in capsys.readouterr().err
