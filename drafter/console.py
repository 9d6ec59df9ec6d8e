"""The rich console that command output goes through.

In a terminal, tables fit its width (long cells fold onto the next line,
never cut). When the output is a pipe or a file (``drafter corpus list |
grep 柳塘``), rich would assume 80 columns and cut titles to ``鄉村振興駐村工 …``;
here the console is made wide enough that every row stays whole on one line.
"""

from __future__ import annotations

from typing import Any

PIPE_WIDTH = 100_000
"""Console width when the output is not a terminal: no row is ever wrapped or cut."""


def output_console(stderr: bool = False) -> Any:
    """A ``rich.console.Console`` for stdout (or stderr): terminal width, or :data:`PIPE_WIDTH` when piped."""
    from rich.console import Console

    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=PIPE_WIDTH, soft_wrap=True)
    return console
