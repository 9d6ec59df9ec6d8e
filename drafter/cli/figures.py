"""``drafter figures template -o figures.xlsx``: an empty figures table to fill in."""

from __future__ import annotations

from pathlib import Path

import typer

from drafter.errors import InputError
from drafter.figures_template import template_bytes
from drafter.files import write_atomic

figures_app = typer.Typer(help="Figures files: a template to start from.", no_args_is_help=True)


@figures_app.command("template")
def template(
    out: Path = typer.Option(Path("figures.xlsx"), "-o", "--out", help="The workbook to write (.xlsx)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Write an empty figures workbook: the columns, a section drop-down and one example row."""
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"{out}: the template is an Excel workbook; give a file name ending in .xlsx.")
    write_atomic(out, template_bytes(), force=force, what="figures template")
    typer.echo(f"Wrote {out}: fill in one row per figure (the second row is an example), then: drafter write --figures {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(figures_app, name="figures")
