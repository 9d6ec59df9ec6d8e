"""``drafter check DRAFT --figures FILE [--context FILE]... [--json]``: the number guard.

Exit status: 0 when the draft is clean, 1 when there are findings, 2 for bad
input (a missing or unreadable file, a malformed figures file).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..check import check_draft
from ..errors import EXIT_FINDINGS, InputError
from ..figures import load_figures
from ..findings import CheckResult


def read_text(path: Path, what: str) -> str:
    """Read a UTF-8 text file (BOM allowed).

    Raises:
        InputError: the file is missing, a folder, unreadable or not UTF-8.
    """
    if not path.exists():
        raise InputError(f"{path}: {what} not found.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the {what} file.")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: the {what} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror}).") from exc


def render(result: CheckResult, name: str) -> str:
    """Human-readable report: one line per finding, the figure count, then style notes."""
    lines = [f"{name}: " + ("clean" if result.ok else f"{len(result.findings)} finding(s)")]
    for f in result.findings:
        where = f"[{f.start}:{f.end}]" if f.start >= 0 else ""
        lines.append(f"  {f.kind:<13} {f.text or '-':<12} {where:<11} {f.explanation}")
    found = sum(s.found for s in result.figures)
    lines.append(f"figures found: {found}/{len(result.figures)}")
    lines.extend(f"note: {n.explanation}" for n in result.notes)
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to ``app``."""

    @app.command("check")
    def check(
        draft: Path = typer.Argument(..., help="The draft to check (UTF-8 text)."),
        figures: Path = typer.Option(..., "--figures", "-f", help="This period's figures (.yaml, .json, .csv, .xlsx)."),
        context: list[Path] = typer.Option(
            [], "--context", "-c", help="A passage the model saw (repeatable): numbers copied from it are stale, its names in the draft stale_name, runs of 20+ characters copied."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Check that every number in DRAFT is one of the figures, standing by its name."""
        text = read_text(draft, "draft")
        figure_set = load_figures(figures)
        passages = [read_text(p, "context passage") for p in context]
        result = check_draft(text, figure_set, passages)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(render(result, str(draft)))
        if not result.ok:
            # SystemExit, not typer.Exit: main() runs the app with standalone_mode=False,
            # where click turns typer.Exit into a return value and the status would be lost.
            raise SystemExit(EXIT_FINDINGS)
