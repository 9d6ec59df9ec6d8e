"""Compare two runs: per-metric and per-case differences, and regressions past thresholds.

A run is named by its folder, optionally with ``#VARIANT`` to pick one variant
(``evals/runs/x#concise/compose/qwen2.5-coder-1.5b``). Variants with the same id
in both runs are compared; when each side has exactly one variant they are
compared whatever their ids (the usual "before / after a prompt edit"); when
the two runs have the same matrix but for one component (another model, say),
variants are paired on the other two.

Counts (findings, artefacts) are compared per output, so runs of different
sizes compare fairly. A regression is a metric that moved the wrong way by
more than its threshold (:data:`DEFAULT_THRESHOLDS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drafter.errors import InputError
from drafter.evaluation.metrics import METRIC_BY_NAME, METRICS, rate
from drafter.evaluation.reports import summarize

DEFAULT_THRESHOLDS: dict[str, float] = {"clean": 0.05, "recall": 0.02, "invented": 0.0, "stale": 0.0, "genre_clean": 0.05}
"""Largest tolerated move the wrong way: clean share −0.05, recall −0.02, invented or stale findings per output
any rise, genre-clean share −0.05."""
EPS = 1e-9


def parse_thresholds(items: list[str]) -> dict[str, float]:
    """``["clean=0.1", "altered=0"]`` → thresholds over :data:`DEFAULT_THRESHOLDS`.

    Raises:
        InputError: unknown metric, a metric without a direction, or a bad number.
    """
    out = dict(DEFAULT_THRESHOLDS)
    for item in items:
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in METRIC_BY_NAME or METRIC_BY_NAME[name].better is None:
            known = ", ".join(m.name for m in METRICS if m.better)
            raise InputError(f"--threshold {item}: unknown metric '{name}'; use one of {known}.")
        try:
            out[name] = float(value)
        except ValueError:
            raise InputError(f"--threshold {item}: write NAME=NUMBER, e.g. clean=0.05.") from None
    return out


def _open(spec: str) -> tuple[dict[str, Any], str | None]:
    path, _, variant = str(spec).partition("#")
    if not (Path(path) / "run.json").exists():
        raise InputError(f"{path} is not an eval run folder (no run.json).")
    summary = summarize(path)
    if variant and variant not in summary["metrics"]:
        raise InputError(f"{path}: no variant '{variant}'. Variants: {', '.join(summary['metrics'])}.")
    return summary, variant or None


def _pairs(a: dict, va: str | None, b: dict, vb: str | None) -> list[tuple[str, str]]:
    ids_a = [va] if va else list(a["metrics"])
    ids_b = [vb] if vb else list(b["metrics"])
    common = [v for v in ids_a if v in ids_b]
    if common:
        return [(v, v) for v in common]
    if len(ids_a) == 1 and len(ids_b) == 1:
        return [(ids_a[0], ids_b[0])]
    parts_a = {v["id"]: (v["prompt_variant"], v["strategy"], v["model"]) for v in a["variants"] if v["id"] in ids_a}
    parts_b = {v["id"]: (v["prompt_variant"], v["strategy"], v["model"]) for v in b["variants"] if v["id"] in ids_b}
    for ignore in (2, 0, 1):  # same matrix with another model, prompt variant or strategy
        key_a = {tuple(p for i, p in enumerate(parts) if i != ignore): vid for vid, parts in parts_a.items()}
        key_b = {tuple(p for i, p in enumerate(parts) if i != ignore): vid for vid, parts in parts_b.items()}
        if len(key_a) == len(parts_a) and len(key_b) == len(parts_b) and set(key_a) == set(key_b):
            return [(key_a[k], key_b[k]) for k in key_a]
    raise InputError(
        f"No variant in common (A: {', '.join(ids_a)}; B: {', '.join(ids_b)}); pick one on each side with RUN#VARIANT."
    )


def _findings(agg: dict[str, Any]) -> int:
    from drafter.guard.findings import FINDING_KINDS

    return int(sum(agg.get(k) or 0 for k in FINDING_KINDS))


def compare_runs(run_a: str, run_b: str, thresholds: dict[str, float] | None = None) -> dict[str, Any]:
    """Compare run B against run A.

    Args:
        run_a, run_b: run folders, optionally ``FOLDER#VARIANT``.
        thresholds: per metric, the largest tolerated move the wrong way
            (default :data:`DEFAULT_THRESHOLDS`).

    Returns:
        ``{"a", "b", "thresholds", "notes", "pairs": [{"a", "b", "metrics": [{name, a, b,
        delta, threshold, regression}], "cases": [{case, a_clean, b_clean, change, a_findings,
        b_findings}]}], "regressions": [str], "regressed": bool}``.

    Raises:
        InputError: a folder that is not a run, an unknown variant, no variants to pair.
    """
    thresholds = dict(DEFAULT_THRESHOLDS if thresholds is None else thresholds)
    a, va = _open(run_a)
    b, vb = _open(run_b)
    notes = []
    if a["suite"]["sha256"] != b["suite"]["sha256"]:
        notes.append("The suite file differs between the runs.")
    if a.get("checker") != b.get("checker"):
        notes.append("The checker differs between the runs; `drafter eval rescore` the older run to compare drafts alone.")
    changed = sorted(n for n in set(a["prompts"]) & set(b["prompts"]) if a["prompts"][n] != b["prompts"][n])
    if changed:
        notes.append(f"Prompts changed: {', '.join(changed)}.")
    for side, s in (("A", a), ("B", b)):
        if not s["run"]["complete"]:
            notes.append(f"Run {side} is incomplete ({s['run']['outputs']}/{s['run']['planned']} outputs).")
    pairs, regressions = [], []
    for ia, ib in _pairs(a, va, b, vb):
        ma, mb = a["metrics"][ia], b["metrics"][ib]
        rows = []
        for metric in METRICS:
            x, y = rate(ma, metric.name), rate(mb, metric.name)
            delta = None if x is None or y is None else y - x
            thr = thresholds.get(metric.name)
            worse = None if delta is None or metric.better is None else (-delta if metric.better == "up" else delta)
            regression = thr is not None and worse is not None and worse > thr + EPS
            rows.append({"name": metric.name, "a": x, "b": y, "delta": delta, "threshold": thr, "regression": regression})
            if regression:
                regressions.append(f"{ib}: {metric.label} {_show(x)} → {_show(y)} (threshold {thr:g})")
        cases = []
        for cid in a["cases"]:
            if cid not in b["cases"]:
                continue
            ca, cb = a["cases"][cid].get(ia) or {}, b["cases"][cid].get(ib) or {}
            x, y = ca.get("clean"), cb.get("clean")
            fa, fb = _findings(ca), _findings(cb)
            if x is None or y is None or (abs(x - y) < EPS and fa == fb):
                continue
            change = "worse" if y < x - EPS or (abs(x - y) < EPS and fb > fa) else "better" if y > x + EPS or fb < fa else "same"
            label = {"worse": "clean → not clean" if x == 1 and y < 1 else "worse",
                     "better": "not clean → clean" if y == 1 and x < 1 else "better"}.get(change, change)
            cases.append({"case": cid, "a_clean": x, "b_clean": y, "change": label, "a_findings": fa, "b_findings": fb})
        pairs.append({"a": ia, "b": ib, "outputs": [ma.get("outputs"), mb.get("outputs")], "metrics": rows, "cases": cases})
    return {"a": str(run_a), "b": str(run_b), "thresholds": thresholds, "notes": notes, "pairs": pairs,
            "regressions": regressions, "regressed": bool(regressions)}


def _show(v: float | None) -> str:
    return "–" if v is None else f"{v:.3g}"


def print_comparison(result: dict[str, Any], console: Any = None) -> None:
    """Print a comparison: one table per variant pair, the cases that changed, the verdict."""
    from drafter.console import output_console
    from rich.markup import escape
    from rich.table import Table

    from drafter.evaluation.metrics import fmt

    console = console or output_console()
    for note in result["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}")
    for pair in result["pairs"]:
        title = pair["a"] if pair["a"] == pair["b"] else f"{pair['a']} → {pair['b']}"
        table = Table(title=escape(f"{title}  (outputs {pair['outputs'][0]} → {pair['outputs'][1]})"), title_justify="left")
        for col in ("metric", "A", "B", "Δ", ""):
            table.add_column(col, justify="left" if col in ("metric", "") else "right")
        for row in pair["metrics"]:
            m = METRIC_BY_NAME[row["name"]]
            per = " /output" if m.agg == "sum" else ""
            show = (lambda v: f"{v:.2f}") if m.agg == "sum" else (lambda v, n=row["name"]: fmt(n, v))
            delta = "–" if row["delta"] is None else f"{row['delta']:+.3f}"
            flag = "[red]REGRESSION[/]" if row["regression"] else ""
            table.add_row(m.label + per, "–" if row["a"] is None else show(row["a"]),
                          "–" if row["b"] is None else show(row["b"]), delta, flag)
        console.print(table)
        for c in pair["cases"]:
            colour = "red" if c["change"].startswith(("worse", "clean →")) else "green"
            console.print(f"  [{colour}]{c['change']}[/]: {escape(c['case'])} (clean {c['a_clean']:.2f} → {c['b_clean']:.2f}, "
                          f"findings {c['a_findings']} → {c['b_findings']})")
    if result["regressions"]:
        console.print("[red]Regressions past threshold:[/]")
        for r in result["regressions"]:
            console.print(f"  {escape(r)}")
    else:
        console.print("No regression past the thresholds.")
