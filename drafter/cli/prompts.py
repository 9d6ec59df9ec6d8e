"""``drafter prompts list|show``: the section prompts in use."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from drafter.console import output_console
from drafter.drafting.prompts import PromptLibrary

prompts_app = typer.Typer(help="List and show section prompts.", no_args_is_help=True)
DirOpt = typer.Option(None, "--prompts", help="User prompt folder overriding built-in prompts.")


@prompts_app.command("list")
def list_prompts(prompts: Path = DirOpt) -> None:
    """List prompts: name, section kind, strategy family, version, budget, file."""
    lib = PromptLibrary(prompts)
    table = Table()
    for col in ("name", "section", "strategy", "version", "budget (context/output)", "target chars", "file"):
        table.add_column(col, overflow="fold")
    for name in lib.names():
        p = lib.get(name)
        m = p.meta
        table.add_row(name, m.section, m.strategy or "compose", str(m.version), f"{m.budget.context}/{m.budget.output}", str(m.target_chars), escape(str(p.path)))
    output_console().print(table)


@prompts_app.command("show")
def show_prompt(name: str = typer.Argument(..., help="Prompt name, e.g. work."), prompts: Path = DirOpt) -> None:
    """Print a prompt file with its variables."""
    p = PromptLibrary(prompts).get(name)
    typer.echo(f"# {p.path}  (sha256 {p.sha256[:12]})")
    typer.echo(f"# variables: {', '.join(sorted(p.variables()))}")
    typer.echo(p.path.read_text(encoding="utf-8"))


def register(app: typer.Typer) -> None:
    app.add_typer(prompts_app, name="prompts")
