"""``drafter eval checker`` and the binding note in ``drafter check`` output (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import REPO
from drafter.cli.main import app

WRITTEN = REPO / "evals" / "checker" / "written.yaml"


def test_eval_checker_prints_precision_and_recall() -> None:
    result = CliRunner().invoke(app, ["eval", "checker", "--suite", str(WRITTEN)])
    assert result.exit_code == 0, result.output
    for word in ("clean share", "recall (right kind)", "precision", "altered", "unit_mismatch", "misplaced", "stale"):
        assert word in result.output
    assert "written" in result.output


def test_eval_checker_json_and_thresholds() -> None:
    result = CliRunner().invoke(app, ["eval", "checker", "--suite", str(WRITTEN), "--json"])
    data = json.loads(result.output)
    assert data["clean_share"] >= 0.95 and data["recall"] >= 0.95
    assert set(data["faults"]) == {"number", "unit", "swap", "stale"}
    low = CliRunner().invoke(app, ["eval", "checker", "--suite", str(WRITTEN), "--min-recall", "1.01"])
    assert low.exit_code == 1 and "Below threshold" in low.output


def test_eval_checker_bad_suite_exits_2(tmp_path: Path) -> None:
    from drafter.cli.main import main
    import sys

    bad = tmp_path / "s.yaml"
    bad.write_text("cases: [{id: a, text: x, figures: [[a, 很多, 个]]}]\n", encoding="utf-8")
    for args in (["eval", "checker", "--suite", str(tmp_path / "none.yaml")], ["eval", "checker", "--suite", str(bad)]):
        sys.argv = ["drafter", *args]
        try:
            main()
        except SystemExit as exc:
            assert exc.code == 2
        else:  # pragma: no cover
            raise AssertionError("expected exit 2")


def test_check_shows_why_a_number_fired(tmp_path: Path) -> None:
    figures = tmp_path / "f.yaml"
    figures.write_text("figures:\n  - {name: 脱贫户, value: 120, unit: 户}\n  - {name: 脱贫人口, value: 356, unit: 人}\n"
                       "  - {name: 每组人数, value: 2-3, unit: 人}\n", encoding="utf-8")
    draft = tmp_path / "d.txt"
    draft.write_text("全村共有脱贫户120户358人，每组由2至3人组成。本村各项工作全县排名第一。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(draft), "--figures", str(figures)])
    assert result.exit_code == 1, result.output
    assert "altered" in result.output and "358人" in result.output and "paired count" in result.output
    assert "invented" in result.output and "第一" in result.output and "is not a given rank" in result.output
    data = json.loads(CliRunner().invoke(app, ["check", str(draft), "--figures", str(figures), "--json"]).output)
    assert all("binding" in f for f in data["findings"])
    assert data["figures"][2] == {"name": "每组人数", "found": True}
