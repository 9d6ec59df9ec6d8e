"""Planting one fault in a copy of a paragraph: the faults :mod:`drafter.evaluation.checker` counts.

Each fault is made where a figure stands in the paragraph (as the clean check
found it), deterministically (the figure is picked by a CRC of the case id),
and only when the changed text still reads as the intended quantity in its
clause (100萬 → 100 before a noun reads as no amount, so another figure is
tried):

``number``
    the figure's last digit changed (12.6公里 → 12.9公里; 两处 → 三处), never
    into another figure's value: ``altered``;
``unit``
    its unit changed: % ↔ 个百分点, a 万 dropped (2.5万头 → 2.5头) or added
    (8350元 → 8350万元): ``unit_mismatch``;
``swap``
    the numbers of two figures in the same kind of unit exchanged (the whole
    amounts when their units differ: 85吨 ↔ 4.2万公斤): ``misplaced``;
``stale``
    a clause of the suite's old report whose unit no figure of the paragraph
    has, inserted after the first sentence: ``stale``.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from drafter.guard.check import check_draft
from drafter.figures import Figure
from drafter.guard.findings import CheckResult
from drafter.guard.numerals import fold_text
from drafter.guard.quantities import extract_quantities
from drafter.guard.ranks import extract_ranks
from drafter.guard.units import canonical

if TYPE_CHECKING:
    from drafter.evaluation.checker import GuardCase

__all__ = ["FAULT_KINDS", "PlantedFault", "plant_faults"]

FAULT_KINDS = {"number": "altered", "unit": "unit_mismatch", "swap": "misplaced", "stale": "stale"}
"""Planted fault → the finding kind that names it right."""


@dataclass(frozen=True)
class PlantedFault:
    """One fault planted in a copy of a paragraph.

    Attributes:
        case: the case id.
        kind: ``number``, ``unit``, ``swap`` or ``stale``.
        expect: the finding kind that names it right (:data:`FAULT_KINDS`).
        text: the faulted paragraph.
        spans: where it was changed (offsets into ``text``).
        change: what was changed, e.g. ``12.6公里 → 12.9公里``.
        figure: the figure it concerns (``""`` for stale).
    """

    case: str
    kind: str
    expect: str
    text: str
    spans: tuple[tuple[int, int], ...]
    change: str
    figure: str = ""


_CN_NEXT = {"一": "三", "二": "五", "两": "三", "三": "六", "四": "七", "五": "八", "六": "九", "七": "四", "八": "五", "九": "六", "十": "十二"}
_UNIT_SWAP = {"%": "个百分点", "个百分点": "%", "百分点": "%", "‰": "%"}


def _pick(seed: str, n: int) -> int:
    return zlib.crc32(seed.encode("utf-8")) % n if n else 0


def _values(figures: tuple[Figure, ...]) -> set[tuple[Decimal, str]]:
    out = set()
    for f in figures:
        v, base = canonical(f.value, f.unit)
        out.add((v.normalize(), base))
    return out


def _located(case: GuardCase, result: CheckResult) -> list[tuple[Figure, int, int]]:
    spots = [(f, s.start, s.end) for f, s in zip(case.figures, result.figures) if s.found and s.start >= 0]
    taken: set[int] = set()
    out = []
    for f, a, b in spots:
        if a not in taken:
            taken.add(a)
            out.append((f, a, b))
    return out


def _number_fault(case: GuardCase, spot: tuple[Figure, int, int]) -> PlantedFault | None:
    f, a, b = spot
    text = case.text[a:b]
    others = _values(case.figures)
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    candidates = []
    for i in reversed(digits):
        for step in (3, 1, 5, 7):
            candidates.append(text[:i] + str((int(text[i]) + step) % 10) + text[i + 1 :])
    for i, c in enumerate(text):
        if c in _CN_NEXT:
            candidates.append(text[:i] + _CN_NEXT[c] + text[i + 1 :])
    def read(t: str) -> list:  # the new amount, read in its clause (位居全县第五位; 100萬 → 100 is no amount)
        found = (extract_ranks if text.startswith("第") else extract_quantities)(case.text[:a] + t + case.text[b:])
        return [q for q in found if q.start == a and q.end == a + len(t)]

    for new in candidates:
        qs = read(new)
        if len(qs) != 1 or not qs[0].value or re.match(r"\D*0\d", new):
            continue  # one quantity, not zero, no leading zero (03户)
        v, base = canonical(qs[0].value, qs[0].unit)
        if (v.normalize(), base) in others or (qs[0].rank and any(g.value == qs[0].value for g in case.figures)):
            continue
        faulted = case.text[:a] + new + case.text[b:]
        return PlantedFault(case.id, "number", "altered", faulted, ((a, a + len(new)),), f"{text} → {new}", f.name)
    return None


def _unit_fault(case: GuardCase, spot: tuple[Figure, int, int]) -> PlantedFault | None:
    f, a, b = spot
    text = case.text[a:b]
    qs = extract_quantities(text)
    if len(qs) != 1 or qs[0].rank:
        return None
    unit = qs[0].unit
    if unit in _UNIT_SWAP and text.endswith(unit):
        new = text[: len(text) - len(unit)] + _UNIT_SWAP[unit]
    elif "万" in text or "萬" in text:
        new = re.sub("[万萬]", "", text, count=1)
    elif unit and text.endswith(unit) or unit and unit in text:
        k = text.rfind(unit)
        new = text[:k] + "万" + text[k:]
    else:
        return None
    read = [r for r in extract_quantities(case.text[:a] + new + case.text[b:]) if r.start == a and r.end == a + len(new)]
    if len(read) != 1 or canonical(read[0].value, read[0].unit) == canonical(qs[0].value, qs[0].unit):
        return None  # 近百万台 is not read; the fault must be a quantity the draft states
    faulted = case.text[:a] + new + case.text[b:]
    return PlantedFault(case.id, "unit", "unit_mismatch", faulted, ((a, a + len(new)),), f"{text} → {new}", f.name)


def _number_part(text: str) -> tuple[int, int] | None:
    """The value as written, multiplier included (2.8万 of 2.8万只, 1.36亿 of 1.36亿元)."""
    qs = extract_quantities(text)
    if len(qs) != 1 or qs[0].high is not None:
        return None
    m = re.search(r"[0-9][0-9.,]*(?:\s*[多余餘])?(?:\s*[万萬亿億])?|[零〇一二两兩三四五六七八九十百千万萬亿億]+", text)
    return (m.start(), m.end()) if m else None


def _swap_fault(case: GuardCase, spots: list[tuple[Figure, int, int]]) -> PlantedFault | None:
    pairs = []
    for x in range(len(spots)):
        for y in range(x + 1, len(spots)):
            (f, a, b), (g, c, d) = spots[x], spots[y]
            if f.high is not None or g.high is not None or case.text[a] == "第" or case.text[c] == "第":
                continue  # ranges and ranks are not swapped with counts
            if canonical(f.value, f.unit)[1] == canonical(g.value, g.unit)[1] and \
                    canonical(f.value, f.unit)[0] != canonical(g.value, g.unit)[0]:
                pairs.append((spots[x], spots[y]))
    if not pairs:
        return None
    (f, a, b), (g, c, d) = pairs[_pick(case.id + "swap", len(pairs))]
    if fold_text(f.unit) != fold_text(g.unit):  # 85吨 ↔ 4.2万公斤: the whole amounts change places
        pa, pc = (0, b - a), (0, d - c)
    else:
        pa, pc = _number_part(case.text[a:b]), _number_part(case.text[c:d])
    if not pa or not pc:
        return None
    na, nc = case.text[a + pa[0] : a + pa[1]], case.text[c + pc[0] : c + pc[1]]
    if na == nc:
        return None
    t = case.text
    faulted = t[: a + pa[0]] + nc + t[a + pa[1] : c + pc[0]] + na + t[c + pc[1] :]
    shift = len(nc) - len(na)
    spans = ((a, b + shift), (c + shift, d))  # the second amount took the first one's length
    return PlantedFault(case.id, "swap", "misplaced", faulted, spans, f"{f.name} {na} ↔ {g.name} {nc}", f.name)


def _stale_fault(case: GuardCase) -> PlantedFault | None:
    if not case.context:
        return None
    bases = {canonical(Decimal(1), f.unit)[1] for f in case.figures}
    clauses = [c.strip() for c in re.split(r"[。；，,\n]", case.context) if c.strip()]
    usable = []
    for c in clauses:
        qs = extract_quantities(c)
        if len(qs) == 1 and qs[0].value is not None and canonical(qs[0].value, qs[0].unit)[1] not in bases:
            usable.append((c, qs[0]))
    if not usable:
        return None
    clause, q = usable[_pick(case.id + "stale", len(usable))]
    cut = case.text.find("。")
    at = cut + 1 if 0 <= cut < len(case.text) - 1 else len(case.text)
    insert = clause + "。"
    faulted = case.text[:at] + insert + case.text[at:]
    span = (at + q.start, at + q.end)
    return PlantedFault(case.id, "stale", "stale", faulted, (span,), f"inserted 「{clause}」")


def plant_faults(case: GuardCase, clean: CheckResult | None = None) -> list[PlantedFault]:
    """One faulted copy of ``case`` per fault kind that applies (deterministic).

    Args:
        case: the paragraph and its figures.
        clean: its check result as written (found figures give the places to
            change); computed when omitted.

    Returns:
        Up to four :class:`PlantedFault` (number, unit, swap, stale), each with
        exactly one fault.
    """
    clean = clean or check_draft(case.text, list(case.figures))
    spots = _located(case, clean)
    out: list[PlantedFault | None] = []

    def first(kind: str, make) -> PlantedFault | None:  # the picked figure, or the next one that takes the fault
        start = _pick(case.id + kind, len(spots))
        return next((p for k in range(len(spots)) if (p := make(case, spots[(start + k) % len(spots)]))), None)

    if spots:
        out.append(first("number", _number_fault))
        out.append(first("unit", _unit_fault))
        out.append(_swap_fault(case, spots))
    out.append(_stale_fault(case))
    return [p for p in out if p is not None]


