"""How long each section should be: the median length of that kind in the organisation's past reports.

A draft should run as long as the reports an office signs. :func:`section_targets`
reads the store: for every past report, the Han characters of its chunks per
section kind (``opening``, ``work``, ``problems``, ``next_steps``, ``closing``),
and per kind the median over the reports that have one. A prompt's
``target_chars`` is the fallback for a kind the store lacks, and ``--length``
overrides both (:func:`parse_lengths`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from drafter.errors import InputError
from drafter.corpus.kinds import KINDS, parse_kind
from drafter.text.textutil import han_count


def section_targets(store: Any, filters: Any = None) -> dict[str, int]:
    """Median Han characters per section kind over the reports in ``store``.

    Args:
        store: a :class:`drafter.index.store.Store` (its chunks are read once).
        filters: a :class:`drafter.index.retrieval.Filters`; only its ``sources``
            (files) and ``reports`` are applied, so ``--corpus`` limits the
            reports measured to the ones drafting draws on.

    Returns:
        ``{kind: median}`` for the kinds some report has; ``{}`` for an empty store.
    """
    sources = set(getattr(filters, "sources", None) or [])
    reports = set(getattr(filters, "reports", None) or [])
    per: dict[tuple[str, str], int] = defaultdict(int)
    for chunk in store.all_chunks():
        if sources and chunk.source not in sources:
            continue
        if reports and chunk.report_id not in reports and chunk.report_title not in reports:
            continue
        per[(chunk.report_id, chunk.section_kind)] += han_count(chunk.text)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for (_, kind), n in per.items():
        if n > 0:
            by_kind[kind].append(n)
    return {k: int(statistics.median(v)) for k, v in by_kind.items() if k in KINDS}


def parse_lengths(spec: str | None, where: str = "--length") -> dict[str, int]:
    """Read ``--length``: ``work=1200,problems=400`` (kinds in English or Chinese), or one number for ``work``.

    Raises:
        InputError: a malformed item or an unknown kind, naming ``where``.
    """
    if not spec:
        return {}
    out: dict[str, int] = {}
    for item in str(spec).replace("，", ",").split(","):
        item = item.strip()
        if not item:
            continue
        kind, sep, value = item.partition("=")
        if not sep:
            kind, value = "work", item
        try:
            n = int(value)
        except ValueError as exc:
            raise InputError(f"{where}: '{item}' is not kind=characters (e.g. work=1200).") from exc
        if n <= 0:
            raise InputError(f"{where}: '{item}': a length is a positive number of characters.")
        out[parse_kind(kind.strip(), where)] = n
    return out
