"""``drafter eval run|rescore|compare``: the eval harness for prompt engineers (and ``eval retrieval``, ``eval checker``).

The sub-app is the module-level :data:`eval_app`, so other modules can add
commands to it (``eval retrieval``).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from drafter.cli.common import ConfigOpt

eval_app = typer.Typer(
    name="eval",
    help="Run eval suites over prompt variants, strategies and models; re-score and compare runs.",
    no_args_is_help=True,
)


@eval_app.command("run")
def run(
    suite: Path = typer.Argument(None, metavar="SUITE", help="Suite YAML (e.g. evals/suites/sections.yaml); optional with --resume."),
    prompt_variant: list[str] = typer.Option(None, "--prompt-variant", "-p", help="Prompt variant (prompts named KIND-NAME); 'default' for the built-in prompts. Repeatable."),
    strategy: list[str] = typer.Option(None, "--strategy", "-s", help="Number strategy (weave, compose, free, masked, slots, grammar, masked-names). Repeatable."),
    model: list[str] = typer.Option(None, "--model", "-m", help="Model: an embedded model name, or a model on --base-url. Repeatable."),
    repeat: int = typer.Option(None, "--repeat", "-n", help="Outputs per case and variant (repeat r samples with seed r); default 1."),
    concurrency: int = typer.Option(1, "--concurrency", "-j", help="Outputs drafted at once (the embedded server serves one at a time)."),
    tag: list[str] = typer.Option(None, "--tag", help="Only cases with this tag. Repeatable."),
    out: Path = typer.Option(None, "--out", "-o", help="Run folder (default evals/runs/<UTC time>-<suite>/); an existing one is resumed."),
    resume: Path = typer.Option(None, "--resume", help="Finish an interrupted run folder with the same suite and variants."),
    prompts: Path = typer.Option(None, "--prompts", help="User prompt folder (variants and overrides of prompts/)."),
    base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible server; default the embedded local model."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    config: Path = ConfigOpt,
) -> None:
    """Draft every case × variant × repeat, score the drafts and write a run folder.

    The folder holds records.jsonl (one record per output, appended as each
    finishes), summary.json (for CI) and report.html. Model replies are cached,
    so an unchanged re-run makes no model call; Ctrl-C keeps finished outputs
    and the same command (or --resume DIR) continues.
    """
    from drafter.config import load_settings
    from drafter.errors import InputError
    from drafter.evaluation import RunInterrupted, load_suite, print_summary, resolve_variants, run_suite
    from drafter.evaluation.runfiles import read_json

    previous: dict = {}
    if resume is not None:
        if out is not None and out != resume:
            raise InputError("Give either --out or --resume, not both.")
        previous = read_json(resume / "run.json")
        out = resume
    if suite is None:
        if not previous:
            raise InputError("Give a SUITE file (or --resume RUN_DIR).")
        suite = Path(previous["suite"]["path"])
    settings = load_settings(config, prompts_dir=prompts, base_url=base_url)
    loaded = load_suite(suite)
    if previous and not (prompt_variant or strategy or model):
        prompt_variant = [v["prompt_variant"] or "default" for v in previous["variants"]]
        strategy = [v["strategy"] for v in previous["variants"]]
        model = [v["model"] for v in previous["variants"]]
    repeat = repeat or previous.get("repeat", 1)
    variants = resolve_variants(settings, prompt_variant or [], strategy or [], model or [])
    cases = loaded.select(tags=tag or None)
    if previous and not tag:
        cases = [c for c in cases if c.id in set(previous["suite"].get("selected", []))] or cases
    bar = None

    def progress(event: str, payload: dict) -> None:
        nonlocal bar
        if quiet:
            return
        if event == "start":
            from tqdm import tqdm

            bar = tqdm(total=payload["total"], unit="output", desc="eval", dynamic_ncols=True)
            typer.echo(f"Run folder: {payload['path']}", err=True)
        elif event == "skip" and bar is not None:
            bar.update(payload["count"])
        elif event == "output" and bar is not None:
            state = "error" if payload["status"] != "ok" else ("clean" if payload["metrics"]["clean"] else "findings")
            bar.set_postfix_str(f"{payload['case']} {state}", refresh=False)
            bar.update(1)

    try:
        result = run_suite(loaded, variants, settings=settings, cases=cases, repeat=repeat,
                           concurrency=concurrency, out=out, progress=progress)
    except RunInterrupted as exc:
        if bar is not None:
            bar.close()
        typer.secho(f"Interrupted: {exc.kept} output(s) kept in {exc.path}. "
                    f"Continue with: drafter eval run --resume {exc.path}", err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(130) from None
    if bar is not None:
        bar.close()
    print_summary(result.summary)
    typer.echo(f"Report: {result.path / 'report.html'}  (summary.json, records.jsonl beside it)")


@eval_app.command("rescore")
def rescore(
    run_dir: Path = typer.Argument(..., metavar="RUN", help="Run folder."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the re-scored run to this new folder instead of in place."),
) -> None:
    """Re-score a run's stored drafts with the current checker and metrics (no model call)."""
    from drafter.evaluation import print_summary, rescore_run

    result = rescore_run(run_dir, out=out)
    print_summary(result.summary)
    typer.echo(f"Re-scored {result.outputs} output(s); findings changed in {result.changed}. Report: {result.path / 'report.html'}")


@eval_app.command("compare")
def compare(
    run_a: str = typer.Argument(..., metavar="RUN_A", help="Baseline run folder (FOLDER or FOLDER#VARIANT)."),
    run_b: str = typer.Argument(..., metavar="RUN_B", help="Candidate run folder (FOLDER or FOLDER#VARIANT)."),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression", help="Exit 1 when a metric falls past its threshold."),
    threshold: list[str] = typer.Option(None, "--threshold", "-t", help="NAME=VALUE, e.g. clean=0.05, recall=0.02, stale=0 (per output). Repeatable."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Compare run B with run A: per-metric deltas, per-case changes, regressions past thresholds.

    Exit status: 0, or 1 with --fail-on-regression when a metric regressed; 2 for bad input.
    """
    from drafter.evaluation import compare_runs, parse_thresholds, print_comparison

    result = compare_runs(run_a, run_b, parse_thresholds(threshold or []))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print_comparison(result)
    if fail_on_regression and result["regressed"]:
        raise typer.Exit(1)


EXTENSIONS = (("drafter.cli.eval_retrieval", "register_retrieval"), ("drafter.cli.eval_checker", "register_checker"))
"""Modules adding commands to :data:`eval_app`: ``(module, function(eval_app))``; a module not written yet is skipped."""


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command group (with its extensions, e.g. ``eval retrieval``) to the ``drafter`` app."""
    import importlib

    for module, function in EXTENSIONS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        getattr(mod, function)(eval_app)
    app.add_typer(eval_app, name="eval")
