"""``drafter eval checker``: the number guard's own precision and recall on guard suites with planted faults."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register_checker(eval_app: typer.Typer) -> None:
    """Add the ``checker`` command to the ``drafter eval`` sub-app."""

    @eval_app.command("checker")
    def checker(
        suite: list[Path] = typer.Option(None, "--suite", "-s", help="Guard suite YAML (repeatable; default evals/checker/*.yaml)."),
        as_json: bool = typer.Option(False, "--json", help="Print the figures and every failure as JSON."),
        failures: bool = typer.Option(False, "--failures", help="List every false alarm and every fault not named right."),
        min_clean: float = typer.Option(None, "--min-clean", help="Exit 1 when the share of clean paragraphs with no finding is below this (e.g. 0.95)."),
        min_recall: float = typer.Option(None, "--min-recall", help="Exit 1 when the share of planted faults named right is below this (e.g. 0.95)."),
    ) -> None:
        """Check each paragraph clean, then with one planted fault per copy (number, unit, swap, stale).

        Prints the share of clean paragraphs without a finding (false alarms by
        kind), and per fault kind how many were found and named with the right
        kind (altered, unit_mismatch, misplaced, stale). No model call.
        """
        from drafter.evaluation.checker import DEFAULT_SUITES, evaluate_checker

        report = evaluate_checker(tuple(suite) if suite else DEFAULT_SUITES)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        else:
            typer.echo(report.render(show_failures=failures))
        low = [f"clean share {report.clean_share:.1%} < {min_clean:.1%}" for _ in [0] if min_clean is not None and report.clean_share < min_clean]
        low += [f"recall {report.recall:.1%} < {min_recall:.1%}" for _ in [0] if min_recall is not None and report.recall < min_recall]
        if low:
            typer.secho("Below threshold: " + "; ".join(low), err=True, fg=typer.colors.RED)
            raise SystemExit(1)
