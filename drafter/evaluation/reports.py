"""Summaries and reports of a run folder: summary.json, report.html and the terminal table.

The HTML report and summary.json come from the same dict (:func:`summarize`),
so their figures cannot disagree.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from drafter.evaluation.metrics import METRICS, aggregate, artefacts, fmt, mentions
from drafter.evaluation.runfiles import load_records, read_json, write_json
from drafter.data import read_text

SUMMARY_ROWS = ["outputs", "errors", *[m.name for m in METRICS]]
"""Rows of the aggregate table, in order."""


def summarize(run: str | Path) -> dict[str, Any]:
    """Aggregate a run folder's records per variant, per tag and per case.

    Only records of the run's plan count (same key, same case hash, same
    server); the last record of a key wins.

    Returns:
        ``{"run", "suite", "variants", "prompts", "checker", "git", "settings",
        "cache", "warnings", "metrics": {variant: agg}, "by_tag": {tag: {variant: agg}},
        "cases": {case: {variant: agg}}}`` (see :func:`drafter.evaluation.metrics.aggregate`).

    Raises:
        InputError: not a run folder.
    """
    path = Path(run)
    meta = read_json(path / "run.json")
    records = selected_records(path, meta)
    vids = [v["id"] for v in meta["variants"]]
    by_variant = {vid: [r for r in records if r["variant"]["id"] == vid] for vid in vids}
    tags = sorted({t for r in records for t in r.get("tags") or []})
    case_ids = meta["suite"].get("selected") or sorted({r["case"] for r in records})
    errors = sum(1 for r in records if r.get("status") != "ok")
    return {
        "format": meta.get("format", 1),
        "run": {"id": meta.get("id", path.name), "path": str(path), "started": meta.get("started"),
                "finished": meta.get("finished"), "complete": bool(meta.get("complete")) and len(records) == len(meta["plan"]),
                "planned": len(meta["plan"]), "outputs": len(records), "errors": errors, "repeat": meta.get("repeat", 1),
                "rescored": meta.get("rescored")},
        "suite": meta["suite"], "variants": meta["variants"], "prompts": meta.get("prompts", {}),
        "checker": meta.get("checker"), "git": meta.get("git"), "settings": meta.get("settings"),
        "drafter_version": meta.get("drafter_version"), "servers": meta.get("servers", {}),
        "cache": meta.get("cache", {}), "warnings": meta.get("warnings", []),
        "metrics": {vid: aggregate(rs) for vid, rs in by_variant.items()},
        "by_tag": {t: {vid: aggregate([r for r in rs if t in (r.get("tags") or [])]) for vid, rs in by_variant.items()} for t in tags},
        "cases": {cid: {vid: aggregate([r for r in rs if r["case"] == cid]) for vid, rs in by_variant.items()} for cid in case_ids},
    }


def selected_records(path: Path, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of ``meta``'s plan, in plan order."""
    plan = {p["key"]: p for p in meta["plan"]}
    servers = meta.get("servers", {})
    latest = {}
    for r in load_records(path):
        p = plan.get(r["key"])
        if p is None or r.get("case_sha") != p["case_sha"]:
            continue
        if servers.get(r["variant"]["model"], r.get("server")) != r.get("server"):
            continue
        latest[r["key"]] = r
    return [latest[k] for k in plan if k in latest]


def write_reports(run: str | Path) -> dict[str, Any]:
    """Write summary.json and report.html of a run folder; return the summary."""
    path = Path(run)
    summary = summarize(path)
    write_json(path / "summary.json", summary)
    meta = read_json(path / "run.json")
    (path / "report.html").write_text(render_html(summary, selected_records(path, meta)), encoding="utf-8")
    return summary


# ---------------------------------------------------------------- HTML


def _spans(body: str, sec: dict[str, Any], expect: dict[str, Any]) -> list[dict[str, Any]]:
    """Pieces of ``body`` with the ones to highlight marked: ``{"text", "cls", "title"}``."""
    marks = []
    for f in (sec.get("check") or {}).get("findings", []):
        if 0 <= f.get("start", -1) < f.get("end", -1) <= len(body):
            marks.append((f["start"], f["end"], f"f-{f['kind']}", f"{f['kind']}: {f.get('explanation') or f.get('text')}"))
    for a in artefacts(body):
        marks.append((a["start"], a["end"], "artefact", f"artefact ({a['kind']})"))
    for m in mentions(body, expect.get("must_not_mention") or []):
        if m["start"] >= 0:
            marks.append((m["start"], m["end"], "forbidden", f"must not mention: {m['term']}"))
    marks.sort(key=lambda m: (m[0], -m[1]))
    out, pos = [], 0
    for start, end, cls, title in marks:
        if start < pos:
            continue  # overlaps a mark already placed
        if start > pos:
            out.append({"text": body[pos:start], "cls": "", "title": ""})
        out.append({"text": body[start:end], "cls": cls, "title": title})
        pos = end
    if pos < len(body):
        out.append({"text": body[pos:], "cls": "", "title": ""})
    return out


@functools.lru_cache(maxsize=1)
def _template() -> Any:
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = lambda v, name: fmt(name, v)
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
    text = read_text("eval_report.html.j2")
    return env.from_string(text)


def render_html(summary: dict[str, Any], records: Sequence[dict[str, Any]]) -> str:
    """The self-contained HTML report (inline CSS and JS, no external assets)."""
    outputs = []
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i, r in enumerate(records):
        n = sum(len((s.get("check") or {}).get("findings", [])) for s in r.get("sections", []))
        state = "error" if r.get("status") != "ok" else ("clean" if (r.get("metrics") or {}).get("clean") else "findings")
        item = {"anchor": f"o{i}", "rec": r, "state": state, "findings": n,
                "sections": [{**s, "pieces": _spans(s.get("body", ""), s, r.get("expect") or {}),
                              "missing": [f for f in (s.get("check") or {}).get("findings", []) if f.get("start", -1) < 0]}
                             for s in r.get("sections", [])]}
        outputs.append(item)
        cells.setdefault((r["case"], r["variant"]["id"]), []).append(item)
    labels = {m.name: m.label for m in METRICS} | {"outputs": "outputs", "errors": "errors"}
    return _template().render(s=summary, rows=SUMMARY_ROWS, labels=labels, outputs=outputs, cells=cells,
                              vids=[v["id"] for v in summary["variants"]])


# ---------------------------------------------------------------- terminal


def short_labels(variants: Sequence[dict[str, Any]]) -> tuple[dict[str, str], str]:
    """Column labels showing only what differs between variants, and the shared part.

    Returns:
        (``{variant id: label}``, e.g. ``"prompts default, model qwen2.5-coder-1.5b"``).
    """
    parts = [(v["prompt_variant"] or "default", v["strategy"], v["model"]) for v in variants]
    names = ("prompts", "strategy", "model")
    vary = [i for i in range(3) if len({p[i] for p in parts}) > 1]
    if not vary or len(parts) < 2:
        return {v["id"]: v["id"] for v in variants}, ""
    labels = {v["id"]: "/".join(p[i] for i in vary) for v, p in zip(variants, parts)}
    common = ", ".join(f"{names[i]} {parts[0][i]}" for i in range(3) if i not in vary)
    return labels, common


def print_summary(summary: dict[str, Any], console: Any = None) -> None:
    """Print the aggregate table (variants side by side) and the clean share per tag."""
    from drafter.console import output_console
    from rich.markup import escape
    from rich.table import Table

    console = console or output_console()
    vids = [v["id"] for v in summary["variants"]]
    labels, common = short_labels(summary["variants"])
    run = summary["run"]
    title = f"{summary['suite']['name']} — {run['outputs']}/{run['planned']} outputs" + ("" if run["complete"] else " (incomplete)")
    if common:
        title += f" — {common}"
    table = Table(title=escape(title), title_justify="left")
    table.add_column("metric")
    for vid in vids:
        table.add_column(escape(labels[vid]), justify="right", overflow="fold")
    names = {m.name: m.label for m in METRICS}
    for row in SUMMARY_ROWS:
        table.add_row(names.get(row, row), *[fmt(row, summary["metrics"][vid].get(row)) for vid in vids])
    for tag, per in summary.get("by_tag", {}).items():
        table.add_row(escape(f"clean share [{tag}]"), *[fmt("clean", per[vid].get("clean")) for vid in vids])
    console.print(table)
    cache = summary.get("cache", {})
    console.print(f"model calls {cache.get('calls', 0)}, cache hits {cache.get('hits', 0)}")
    for w in summary.get("warnings", []):
        console.print(f"[yellow]warning:[/] {escape(w)}")
