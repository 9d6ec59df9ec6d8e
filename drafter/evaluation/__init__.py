"""The eval harness: run suites of cases against prompt variants, strategies and models; score, rescore, compare.

Example::

    from drafter.evaluation import load_suite, resolve_variants, run_suite, compare_runs
    from drafter.config import load_settings

    settings = load_settings()
    suite = load_suite("evals/suites/sections.yaml")
    variants = resolve_variants(settings, prompt_variants=[None, "concise"], strategies=["compose", "free"])
    result = run_suite(suite, variants, settings=settings, out="evals/runs/try-1")
    print(result.summary["metrics"])            # per variant: clean share, recall, precision, …
    print(compare_runs("evals/runs/try-0", "evals/runs/try-1")["regressed"])

Modules: :mod:`.suite` (loading), :mod:`.variants` (the matrix's columns), :mod:`.runner` (the run
folder), :mod:`.outputs` (one output and its record), :mod:`.clients` (the run's model clients),
:mod:`.metrics` (definitions), :mod:`.reports` (summary, HTML, terminal),
:mod:`.rescore`, :mod:`.compare`.
"""

from __future__ import annotations

from drafter.evaluation.compare import DEFAULT_THRESHOLDS, compare_runs, parse_thresholds, print_comparison
from drafter.evaluation.metrics import METRICS, aggregate, output_metrics
from drafter.evaluation.reports import print_summary, render_html, summarize, write_reports
from drafter.evaluation.rescore import RescoreResult, rescore_run
from drafter.evaluation.runfiles import load_records
from drafter.evaluation.runner import RunInterrupted, RunResult, run_suite
from drafter.evaluation.suite import Case, Suite, load_suite
from drafter.evaluation.variants import Variant, resolve_variants

__all__ = [
    "DEFAULT_THRESHOLDS", "METRICS", "Case", "RescoreResult", "RunInterrupted", "RunResult", "Suite", "Variant",
    "aggregate", "compare_runs", "load_records", "load_suite", "output_metrics", "parse_thresholds",
    "print_comparison", "print_summary", "render_html", "rescore_run", "resolve_variants", "run_suite",
    "summarize", "write_reports",
]
