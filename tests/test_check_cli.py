"""``drafter check``: output, --json, --context and exit statuses (0 clean, 1 findings, 2 bad input)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drafter.cli.main import app, main

FIGURES_YAML = """\
figures:
  - {name: 新建改造农村公路, value: 12.6, unit: 公里}
  - {name: 生活垃圾无害化处理率, value: 95, unit: "%"}
"""


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    out = {
        "figures": tmp_path / "figures.yaml",
        "clean": tmp_path / "clean.txt",
        "dirty": tmp_path / "dirty.txt",
        "context": tmp_path / "old_report.txt",
    }
    out["figures"].write_text(FIGURES_YAML, encoding="utf-8")
    out["clean"].write_text("一是新建改造农村公路12.6公里；二是生活垃圾无害化处理率达到95%。\n", encoding="utf-8")
    out["dirty"].write_text("新建改造农村公路12.7公里，完成改造93户，覆盖率xx%。\n", encoding="utf-8")
    out["context"].write_text("上半年完成天然气改造93户。", encoding="utf-8")
    return out


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the console entry point in-process and return its exit status."""
    monkeypatch.setattr(sys, "argv", ["drafter", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_clean_draft_exits_0(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["check", str(files["clean"]), "--figures", str(files["figures"])])
    assert result.exit_code == 0, result.output
    assert "clean" in result.output and "2/2" in result.output


def test_findings_exit_1_and_are_listed(files: dict[str, Path]) -> None:
    args = ["check", str(files["dirty"]), "--figures", str(files["figures"]), "--context", str(files["context"])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    for word in ("altered", "stale", "placeholder", "missing", "12.7公里", "93户"):
        assert word in result.output


def test_json_output(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["check", str(files["dirty"]), "--figures", str(files["figures"]), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    assert {f["kind"] for f in data["findings"]} == {"altered", "invented", "placeholder", "missing"}
    assert all({"kind", "text", "start", "end", "figure"} <= set(f) for f in data["findings"])
    assert data["figures"] == [{"name": "新建改造农村公路", "found": False}, {"name": "生活垃圾无害化处理率", "found": False}]


def test_json_clean(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["check", str(files["clean"]), "--figures", str(files["figures"]), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["ok"] is True


def test_entry_point_exit_statuses(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(monkeypatch, "check", str(files["clean"]), "--figures", str(files["figures"])) == 0
    assert run_main(monkeypatch, "check", str(files["dirty"]), "--figures", str(files["figures"])) == 1
    assert run_main(monkeypatch, "check", str(files["clean"].with_name("nope.txt")), "--figures", str(files["figures"])) == 2
    assert "nope.txt: draft not found" in capsys.readouterr().err


def test_bad_figures_file_exits_2(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bad = files["figures"].with_name("bad.yaml")
    bad.write_text("figures:\n  - {name: 路灯, value: 很多, unit: 盏}\n", encoding="utf-8")
    assert run_main(monkeypatch, "check", str(files["clean"]), "--figures", str(bad)) == 2
    assert "Error:" in capsys.readouterr().err


def test_draft_not_utf8_exits_2(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    files["clean"].write_bytes("新建改造农村公路12.6公里".encode("gb18030"))
    assert run_main(monkeypatch, "check", str(files["clean"]), "--figures", str(files["figures"])) == 2


def test_help_mentions_every_option() -> None:
    result = CliRunner().invoke(app, ["check", "--help"])
    assert result.exit_code == 0
    for option in ("--figures", "--context", "--json"):
        assert option in result.output
