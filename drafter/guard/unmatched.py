"""What a quantity that equals no figure is: a unit slip, a changed figure, an old number or an invention.

:func:`classify_unmatched` is the last pass of :class:`drafter.guard.matching.FigureMatcher`
over the quantities whose value and unit no figure has (:mod:`drafter.guard.equality`); the
rules are those of :mod:`drafter.guard.check` (``unit_mismatch``, ``altered``, ``stale``,
``invented``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drafter.guard.equality import amount_key, quantity_key
from drafter.guard.findings import Finding

if TYPE_CHECKING:
    from drafter.guard.matching import FigureMatcher

__all__ = ["classify_unmatched"]


def classify_unmatched(m: FigureMatcher, qi: int) -> Finding:
    """Classify quantity ``qi`` of ``m``, which equals no figure: unit_mismatch, altered, stale or invented.

    Args:
        m: the check under way; figures it concerns are added to ``m.concerned``.
        qi: index of the quantity in ``m.qs``.

    Returns:
        The finding (``invented`` when nothing better explains the number).
    """
    q = m.qs[qi]
    key = quantity_key(q)
    assert key is not None
    why = ""
    unfound = [i for i in range(len(m.figs)) if i not in m.found and i not in m.concerned]
    slips = [i for i in unfound if m._same_number(q, i)]  # 8350万元 for 8350元: the number kept, the unit not
    for li, cues, scores in m._levels(qi):
        named = [i for i in slips if scores.get(i)]
        if named:
            f = m.figs[named[0]]
            m.concerned.add(named[0])
            return Finding("unit_mismatch", q.text, q.start, q.end, f.name,
                           f"{q.text} has the number of {f.name} with another unit; the figure is {f.render()}.",
                           m._why(qi, li, cues, named[0]))
    if len(slips) == 1:
        f = m.figs[slips[0]]
        m.concerned.add(slips[0])
        return Finding("unit_mismatch", q.text, q.start, q.end, f.name,
                       f"{q.text} has the number of {f.name} with another unit; the figure is {f.render()}.",
                       m._why(qi, 0, m.bindings[qi].levels[0], None))
    partner = m.bindings[qi].partner
    pkey = quantity_key(m.qs[partner]) if partner is not None else None
    for li, cues in enumerate(m.bindings[qi].levels):
        if not cues:
            continue
        why = why or m._why(qi, li, cues, None)
        if li == 0:  # any figure; but the words after the head noun only confirm, they do not bind a changed number
            scores = m._scores([c for c in cues if c.weight >= 1.0], range(len(m.figs)))
        elif li == 1:  # the partner's subject: a figure in this unit, even one restated elsewhere (6户11人|18人)
            scores = m._scores(cues, [i for i in range(len(m.figs)) if m._fits(qi, i) and pkey not in m.keys[i]])
        else:
            scores = m._scores(cues, [i for i in range(len(m.figs)) if m._allowed(qi, i)])
        top = max(scores.values(), default=0)
        # a changed number's own figure is usually the one whose value no longer stands anywhere
        order = sorted(scores, key=lambda i: (-(scores[i] >= m.clear * top and i not in m.found), -scores[i]))
        for i in order:
            f = m.figs[i]
            if m._same_number(q, i):
                m.concerned.add(i)
                return Finding("unit_mismatch", q.text, q.start, q.end, f.name,
                               f"{q.text} has the number of {f.name} with another unit; the figure is {f.render()}.",
                               m._why(qi, li, cues, i))
            if m._fits(qi, i):
                m.concerned.add(i)
                return Finding("altered", q.text, q.start, q.end, f.name,
                               f"{q.text} is not a given figure; {f.name} is {f.render()}.", m._why(qi, li, cues, i))
    why = why or m._why(qi, 0, m.bindings[qi].levels[0], None)
    unfound = [i for i in unfound if i not in m.concerned]
    if any(amount_key(v, q.unit) in m.context_keys for v in q.values) and not q.rank:
        return Finding("stale", q.text, q.start, q.end, None,
                       f"{q.text} is not a given figure; it occurs in the context passages (copied from an old report?).", why)
    same_unit = [i for i in unfound if m._fits(qi, i)]
    if len(same_unit) == 1:
        f = m.figs[same_unit[0]]
        m.concerned.add(same_unit[0])
        return Finding("altered", q.text, q.start, q.end, f.name,
                       f"{q.text} is not a given figure; {f.name} is {f.render()} and appears nowhere else.",
                       f"{why}; {f.name} is the only figure in this unit not found elsewhere")
    what = "rank" if q.rank else "figure"
    return Finding("invented", q.text, q.start, q.end, None, f"{q.text} is not a given {what}.", why)
