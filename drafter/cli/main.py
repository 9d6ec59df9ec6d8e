"""Assembles the ``drafter`` command from one module per command.

Each command module defines ``register(app)``; the library raises
:class:`~drafter.errors.DrafterError` for user mistakes, which :func:`main`
prints as one ``Error:`` line and exit status 2 (``--debug`` shows the
traceback). Other exceptions are bugs and keep their traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import typer

from drafter.config import warn_unknown_env
from drafter.errors import EXIT_BAD_INPUT, DrafterError

COMMAND_MODULES = ("ingest", "corpus", "search", "write", "check", "figures", "prompts", "eval", "serve")
"""Modules of :mod:`drafter.cli` that add commands, in help order."""

app = typer.Typer(
    name="drafter",
    help="Draft Chinese work reports from this period's figures, in the voice of past reports; every number checked.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    if debug:
        os.environ["DRAFTER_DEBUG"] = "1"


for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"drafter.cli.{_name}")
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != f"drafter.cli.{_name}":
            raise
        continue
    _mod.register(app)


def _click_exception() -> type[BaseException] | None:
    try:
        import click
    except ImportError:  # typer 0.29 vendors its own click
        return None
    return click.ClickException


def main(argv: list[str] | None = None) -> None:
    """Console entry point.

    Exit status: the command's own (0 clean, 1 findings), 2 for a
    :class:`DrafterError` or a usage error (one ``Error:`` line, no traceback
    unless ``--debug``, which prints it before the line and still exits 2),
    130 on Ctrl-C. Other exceptions are bugs and keep their traceback.
    A ``DRAFTER_*`` environment variable Drafter does not read is reported
    as a ``Warning:`` line first (see :func:`drafter.config.unknown_env_vars`).
    """
    warn_unknown_env(lambda message: typer.secho(f"Warning: {message}", err=True, fg=typer.colors.YELLOW))
    usage_errors: tuple[type[BaseException], ...] = tuple(
        e for e in (getattr(typer, "TyperException", None), _click_exception()) if e is not None
    )
    try:
        rv = app(argv, standalone_mode=False)
    except DrafterError as exc:
        if os.environ.get("DRAFTER_DEBUG"):
            traceback.print_exc()
        typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(EXIT_BAD_INPUT)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except usage_errors as exc:  # usage errors: missing option, bad value
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            typer.secho(f"Error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)
