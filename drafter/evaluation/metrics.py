"""Metrics of one eval output, and their aggregation per variant.

Every metric is computed from a stored record (see :mod:`drafter.evaluation.runner`),
so ``drafter eval rescore`` recomputes them without generating again.

Per output:

``clean``
    True when the number guard (:func:`drafter.guard.check.check_draft`) found
    nothing in any section. An output that failed with an error counts as not clean.
``recall``
    Figures found with their exact value and unit / figures (the checker's
    per-figure status). None when the case has no figures.
``precision``
    Draft quantities matching a figure / draft quantities, over
    :func:`drafter.guard.quantities.extract_quantities` of each section body. A
    quantity matches by the guard's equality rule (:mod:`drafter.guard.equality`:
    value and range end in the base unit, so 18.9万元 and 189000元 compare
    alike), with the approximation marks as written (``approximation=True``).
    None when the draft has no quantity.
``missing`` … ``copied``
    Number of findings of each kind (:data:`drafter.guard.findings.FINDING_KINDS`).
``length_ratio``
    Body characters (non-whitespace, headings excluded) / target characters:
    the middle of the case's ``expect.length`` when given, else the sum of
    the prompts' ``target_chars`` front matter.
``length_ok``
    Body characters within ``expect.length``, or within 60–140 % of the
    prompts' ``target_chars`` when the case sets no range.
``script_ok``
    No character of the other script: no traditional-only character in a
    simplified draft (OpenCC t2s would change none), no simplified-only one in
    a traditional draft.
``artefacts``
    Leftovers of Markdown (``#`` headings, ``**``, `````` ``` ``````, list
    bullets), chat phrases (好的，/以下是…：/希望对您有帮助/As an AI/作为AI…),
    the prompt's passage headers echoed back (【title｜path】, 【…工作总结】)
    and English sentences (four or more English words in a row).
``mention_recall``, ``forbidden``
    Share of ``expect.must_mention`` terms present; count of
    ``expect.must_not_mention`` terms present (both compared in simplified script).
``passages``, ``corpus_hit``
    Retrieved passages put in the prompts; whether any of them came from the
    case's corpus (None when the case uses the whole store).
``genre_clean``
    True when the genre check (:func:`drafter.guard.genre.check_genre`: tense, broken
    clauses, mixed script, empty items, artefacts …) found nothing in any section,
    a ``length`` finding aside. ``signable``: clean and genre-clean.
``genre_tense`` … ``genre_unsupported``
    Number of genre findings of each kind (:data:`drafter.guard.genre.GENRE_KINDS`;
    ``genre_unsupported`` counts deliverables the input does not hold).
``han``
    Han characters of the whole output (the genre's measure of length).
``fallbacks``
    Paragraphs written without model text because the model did not keep the
    figure clauses (``weave``), from the sections' warnings.
``latency``, ``prompt_tokens``, ``completion_tokens``
    Model seconds (a cached reply reports the latency of its original call)
    and tokens. (Calls that reached the model in this run are in each
    record's ``calls`` and the summary's ``cache``, not among the metrics,
    so an identical cached re-run has identical metrics.)

Aggregates per variant: the mean over outputs for ratios, the share of
outputs for yes/no metrics, and the total for counts (compare works on the
total per output).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from drafter.guard.findings import FINDING_KINDS
from drafter.guard.genre import GENRE_KINDS
from drafter.text.script import to_simplified


@dataclass(frozen=True)
class Metric:
    """How a metric is aggregated and read.

    Attributes:
        name: key in records and summaries. label: column label.
        agg: ``mean`` (ratios), ``share`` (yes/no) or ``sum`` (counts).
        better: ``up``, ``down`` or None (informational).
        fmt: display format (``pct``, ``float``, ``int``, ``sec``).
    """

    name: str
    label: str
    agg: str
    better: str | None
    fmt: str


METRICS: list[Metric] = [
    Metric("clean", "clean share", "share", "up", "pct"),
    Metric("recall", "figure recall", "mean", "up", "pct"),
    Metric("precision", "precision", "mean", "up", "pct"),
    *[Metric(k, k.replace("_", " "), "sum", "down", "int") for k in FINDING_KINDS],
    Metric("genre_clean", "genre clean", "share", "up", "pct"),
    Metric("signable", "signable", "share", "up", "pct"),
    *[Metric(f"genre_{k}", f"genre: {k.replace('_', ' ')}", "sum", "down", "int") for k in GENRE_KINDS],
    Metric("han", "Han characters", "mean", None, "int"),
    Metric("fallbacks", "paragraphs without model text", "sum", "down", "int"),
    Metric("mention_recall", "must-mention", "mean", "up", "pct"),
    Metric("forbidden", "must-not-mention", "sum", "down", "int"),
    Metric("length_ratio", "length / target", "mean", None, "float"),
    Metric("length_ok", "length in range", "share", "up", "pct"),
    Metric("script_ok", "script consistent", "share", "up", "pct"),
    Metric("artefacts", "artefacts", "sum", "down", "int"),
    Metric("passages", "passages / output", "mean", None, "float"),
    Metric("corpus_hit", "corpus hit", "share", "up", "pct"),
    Metric("latency", "model s / output", "mean", "down", "sec"),
    Metric("prompt_tokens", "prompt tokens", "mean", None, "int"),
    Metric("completion_tokens", "completion tokens", "mean", None, "int"),
]
"""Every metric, in display order."""

METRIC_BY_NAME = {m.name: m for m in METRICS}

MARKDOWN_RE = re.compile(r"(?m)^\s{0,3}#{1,6}\s|\*\*[^*\n]{0,60}\*\*|\*\*|```|^\s*[-*+]\s+\S")
"""Markdown leftovers: ``#`` headings, bold marks, code fences, list bullets."""
CHAT_RE = re.compile(
    r"(?m)^\s*(?:好的|当然可以|没问题)[，,！!。]|以下是[^。\n]{0,24}[：:]|希望[^。\n]{0,8}对(?:你|您)[^。\n]{0,4}帮助"
    r"|(?i:as an ai)|作为(?:一个)?(?:AI|人工智能|语言模型)|(?:如有|如需)[^。\n]{0,8}(?:请告诉我|随时告诉我)|请告诉我"
)
"""Chat phrases a draft must not carry."""
ENGLISH_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:]+[A-Za-z][A-Za-z'’-]*){3,}")
"""An English sentence: four or more English words in a row."""
LENGTH_TOLERANCE = (0.6, 1.4)
"""Range around the prompts' ``target_chars`` when a case gives no ``expect.length``."""


PROMPT_ECHO_RE = re.compile(r"【[^】\n]{1,60}[｜|][^】\n]{0,60}】|【[^】\n]{0,40}(?:总结|报告|汇报|總結|報告|彙報)】")
"""Passage headers of the prompt (【title｜path】) echoed into the draft."""


def artefacts(text: str) -> list[dict[str, Any]]:
    """Markdown, chat, prompt-echo and English leftovers in ``text``, as ``{kind, text, start, end}``."""
    out = []
    for kind, rx in (("markdown", MARKDOWN_RE), ("chat", CHAT_RE), ("prompt", PROMPT_ECHO_RE), ("english", ENGLISH_RE)):
        out.extend({"kind": kind, "text": m.group(0).strip(), "start": m.start(), "end": m.end()} for m in rx.finditer(text))
    return sorted(out, key=lambda a: a["start"])


def body_chars(text: str) -> int:
    """Characters of a body, whitespace excluded."""
    return sum(1 for ch in text if not ch.isspace())


def wrong_script(text: str, script: str) -> list[str]:
    """Characters of the other script: traditional-only ones in a simplified text, and simplified-only
    ones in a traditional text, read as the genre check reads them (variants both standards accept,
    such as 群/羣 and 核/覈, are one script: :func:`drafter.guard.genre.check_genre`'s ``mixed_script``)."""
    from drafter.guard.genre import check_genre

    return [f.text for f in check_genre(text, "work", script=script) if f.kind == "mixed_script"]


def precision_counts(body: str, figures: Sequence[Any]) -> tuple[int, int]:
    """``(quantities matching a figure, quantities)`` of one section body (see module docs).

    A quantity matches when it has the key of a figure under the guard's rule
    (:mod:`drafter.guard.equality`) with ``approximation=True``: precision counts a
    quantity only when it is written as exactly as the figure (约30万元 is not 30万元).
    """
    from drafter.guard.equality import figure_keys, quantity_key
    from drafter.guard.quantities import extract_quantities

    qs = extract_quantities(body)
    keys = set().union(*(figure_keys(f, approximation=True) for f in figures))
    matched = sum(1 for q in qs if quantity_key(q, approximation=True) in keys)
    return matched, len(qs)


def mentions(text: str, terms: Sequence[str]) -> list[dict[str, Any]]:
    """Occurrences of ``terms`` in ``text``, both compared in simplified script, as ``{term, start, end}``."""
    simple = to_simplified(text)
    same_length = len(simple) == len(text)
    out = []
    for term in terms:
        t = to_simplified(term)
        for m in re.finditer(re.escape(t), simple):
            out.append({"term": term, "start": m.start() if same_length else -1, "end": m.end() if same_length else -1})
    return out


def output_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """Metrics of one stored output (see the module docs for definitions).

    Args:
        record: an eval record with ``sections`` (body, figures, check,
            passages, target_chars, latency, tokens), ``output``, ``script``,
            ``expect`` and ``corpus``.

    Returns:
        ``{metric name: value}``; a value is None where the metric does not apply.
    """
    from drafter.evaluation.suite import figure_from_dict

    sections = record.get("sections") or []
    expect = record.get("expect") or {}
    text = record.get("output") or ""
    script = record.get("script") or "simplified"
    m: dict[str, Any] = {k: 0 for k in FINDING_KINDS}
    n_fig = found = matched = quantities = 0
    for sec in sections:
        check = sec.get("check") or {}
        for f in check.get("findings", []):
            if f.get("kind") in m:
                m[f["kind"]] += 1
        n_fig += len(sec.get("figures") or [])
        found += sum(1 for s in check.get("figures", []) if s.get("found"))
        a, b = precision_counts(sec.get("body", ""), [figure_from_dict(f) for f in sec.get("figures") or []])
        matched, quantities = matched + a, quantities + b
    m["clean"] = all((s.get("check") or {}).get("ok", False) for s in sections) if sections else False
    m["recall"] = found / n_fig if n_fig else None
    m["precision"] = matched / quantities if quantities else None
    chars = sum(body_chars(s.get("body", "")) for s in sections)
    rng = expect.get("length")
    target_chars = sum(int(s.get("target_chars") or 0) for s in sections)
    if rng:
        target = (rng[0] + rng[1]) / 2
        m["length_ok"] = rng[0] <= chars <= rng[1]
    else:
        target = target_chars
        m["length_ok"] = (LENGTH_TOLERANCE[0] * target <= chars <= LENGTH_TOLERANCE[1] * target) if target else None
    m["chars"] = chars
    m["length_ratio"] = chars / target if target else None
    m["script_ok"] = not wrong_script(text, script)
    m["artefacts"] = len(artefacts(text))
    must = expect.get("must_mention") or []
    hit_terms = {h["term"] for h in mentions(text, must)}
    m["mention_recall"] = len(hit_terms) / len(must) if must else None
    m["forbidden"] = len({h["term"] for h in mentions(text, expect.get("must_not_mention") or [])})
    used = [p for s in sections for p in s.get("passages", []) if p.get("used")]
    m["passages"] = len(used)
    roots = record.get("corpus")
    if roots:
        m["corpus_hit"] = any(_under(p.get("source", ""), roots) for p in used)
    else:
        m["corpus_hit"] = None
    m.update(genre_metrics(record))
    m["signable"] = bool(m["clean"] and m["genre_clean"])
    m["latency"] = round(sum(float(s.get("latency") or 0) for s in sections), 3)
    m["prompt_tokens"] = sum(int(s.get("prompt_tokens") or 0) for s in sections)
    m["completion_tokens"] = sum(int(s.get("completion_tokens") or 0) for s in sections)
    return m


def genre_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """The genre check's metrics of one stored output (pure: re-scored like the number guard's).

    Each section body is checked as its kind, with its figures, the user's words of
    the case (title, organisation, facts, names) and the section's target length.
    """
    from drafter.guard.genre import check_genre
    from drafter.text.textutil import han_count
    from drafter.evaluation.suite import figure_from_dict

    sections = record.get("sections") or []
    fs = record.get("figures") or {}
    words = [fs.get("title"), fs.get("organisation"), fs.get("period"), *(f.get("name") for f in fs.get("figures") or []),
             *(f.get("text") for f in fs.get("facts") or []), *(fs.get("names") or [])]
    user = "\n".join(w for w in words if w) if fs else None  # an old record without figures: deliverables not judged
    counts = {f"genre_{k}": 0 for k in GENRE_KINDS}
    for sec in sections:
        figures = [figure_from_dict(f) for f in sec.get("figures") or []]
        for f in check_genre(sec.get("body", ""), sec.get("kind") or "work", figures=figures, user_text=user,
                             target=int(sec.get("target_chars") or 0) or None, script="simplified"):
            counts[f"genre_{f.kind}"] += 1
    out: dict[str, Any] = dict(counts)
    out["genre_clean"] = bool(sections) and not any(v for k, v in counts.items() if k != "genre_length")
    out["han"] = sum(han_count(s.get("body", "")) for s in sections)
    out["fallbacks"] = sum(1 for s in sections for w in s.get("warnings") or [] if "verbatim" in w)
    return out


def _under(source: str, roots: Sequence[str]) -> bool:
    from pathlib import Path

    p = Path(source)
    return any(p == Path(r) or Path(r) in p.parents for r in roots)


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate metrics over outputs (see the module docs).

    Args:
        records: records of one variant (errors included: they count as not clean).

    Returns:
        ``{"outputs": n, "errors": n, metric: value, ...}``; a metric no output
        has a value for is None.
    """
    ok = [r for r in records if r.get("status") == "ok"]
    out: dict[str, Any] = {"outputs": len(records), "errors": len(records) - len(ok)}
    for metric in METRICS:
        pool = records if metric.name == "clean" else ok
        values = [(r.get("metrics") or {}).get(metric.name) if r.get("status") == "ok" else False for r in pool]
        values = [v for v in values if v is not None]
        if not values:
            out[metric.name] = None
        elif metric.agg == "sum":
            out[metric.name] = sum(values)
        else:
            out[metric.name] = round(sum(float(v) for v in values) / len(values), 6)
    return out


def rate(agg: dict[str, Any], name: str) -> float | None:
    """The comparable value of an aggregate: totals become totals per output."""
    v = agg.get(name)
    if v is None:
        return None
    metric = METRIC_BY_NAME.get(name)
    if metric is not None and metric.agg == "sum":
        n = agg.get("outputs", 0) - agg.get("errors", 0)
        return v / n if n else None
    return float(v)


def fmt(name: str, value: Any) -> str:
    """A metric value for the terminal and the HTML report."""
    if value is None:
        return "–"
    kind = METRIC_BY_NAME[name].fmt if name in METRIC_BY_NAME else "int"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "float":
        return f"{value:.2f}"
    if kind == "sec":
        return f"{value:.1f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value)) if isinstance(value, (int, float)) else str(value)
