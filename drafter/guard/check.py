"""The number guard: every quantity in a draft must be one of the user's figures, where its name is.

:func:`check_draft` extracts the quantities of a draft
(:func:`drafter.guard.quantities.extract_quantities`, and ranks with
:func:`drafter.guard.ranks.extract_ranks`), resolves what each one counts
(:func:`drafter.guard.binding.bind`) and compares them with the figures. It is a
pure function: same input, same :class:`CheckResult`.

How a quantity and a figure are compared:

- **Values** compare after scaling and unit conversion
  (:func:`drafter.guard.units.canonical`): 2.5万头 = 25000头, 1.49亿元 = 14900万元,
  百分之八十 = 80%, 萬元 = 万元, 公里 = 千米, 120名 = 120人. 95% and 95个百分点
  differ: percentage points are not percent. A range figure (``2-3`` 人)
  matches a stated range (2至3人); an approximate one (``500余`` 件) matches
  by its number (500余件, 500件). A figure in 位 or 名 also matches a rank
  (位居全县第二位 for ``{value: 2, unit: 位}``).
- **增长 versus 增至**: a figure whose name states a change (增长, 提高, 下降 …)
  must not be written as a level (增至8.5%, 提高到8.5%), nor a figure named as a
  level (增至, 达到) as a change; either is reported as ``altered``.
- **Numbers inside a figure's name** are the user's words: a threshold
  (年经营性收入30万元以上的村 → 30万元以上) stated with the same value and
  approximation as in the name is no finding.
- **Binding**: :func:`drafter.guard.binding.bind` gives each quantity its levels of
  words (its own words and the 分别 item; the first quantity's subject for a
  paired count; the earlier clauses of the sentence for an ellipsis), and
  :class:`drafter.guard.name_index.NameIndex` tells which figure's name those words name
  (jieba tokens of the name, distinctive ones weighing double, table
  suffixes such as 数量/总长/金额 half, the unit word inside a name not needed).
  A quantity with a figure's value and unit is that figure unless its own
  words name another figure clearly better (a name scoring less than 3/4 of
  the best does not count; a figure in another kind of unit than the
  quantity's counts half); words further away (partner, earlier clauses)
  only ever confirm a figure with the same unit that no other quantity took.

Findings, per quantity of the draft, each with a ``binding`` note saying which
words the number was bound to and why:

- ``placeholder``: a template placeholder (xx%, x.xx万元, 第xx位);
- ``misplaced``: a figure's value and unit, whose own words name another
  figure (figures 路灯 120盏 and 文化广场 2处 drafted 新建文化广场120盏;
  生猪存栏 and 生猪出栏 swapped);
- ``altered``: a quantity bound to a figure of the same kind of unit with
  another value (4.6公里 for 4.5公里; 358人 in 120户358人 for 脱贫人口 356人),
  also when the new value happens to be another figure's that already stands
  where it belongs; a quantity bound to no figure is altered when exactly one
  figure in its unit is nowhere in the draft;
- ``unit_mismatch``: a figure's number with another unit (95个百分点 for 95%,
  8350万元 for 8350元);
- ``stale``: a quantity matching no figure that occurs in the context passages
  (copied from an old report);
- ``invented``: any other quantity matching no figure (also a rank nobody gave:
  本村各项工作全县排名第一);

and, per figure, ``missing`` when it appears nowhere (and no finding above
concerns it).

When context passages are given, the draft is also checked for what else a
model carries over from them (issue 7):

- ``stale_name``: a proper name (village, town, county, enterprise, programme,
  person …) of the draft that occurs in the passages but not in the user's
  inputs (:func:`drafter.guard.names.find_stale_names`). With a :class:`FigureSet`
  the inputs are its title, organisation, period, figure names, facts and
  names; with a list of figures, the figure names alone;
- ``copied``: a run of at least 20 characters standing verbatim (after script
  normalisation) in a passage, set phrases of the genre aside
  (:func:`drafter.guard.copying.find_copied`).

Not read as quantities (so never a finding, and a figure for them is never
found): ordinals other than ranks (第一书记, 第四届), periods named by 半 (上半年,
半年来), dates and the other exclusions of :mod:`drafter.guard.quantities`. Durations
are read (近半个月 = 0.5个月 approximately, 1300多年前 = 1300年 approximately) and
match a figure in the same unit.

Style notes (never failures) flag counts and measures written
in Chinese numerals, which GB/T 15835-2011 (4.1.1) asks to write in Arabic ones.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from drafter.guard.name_index import NameIndex
from drafter.errors import InputError
from drafter.figures import Figure, FigureSet, format_decimal
from drafter.guard.findings import CheckResult, FigureStatus, Finding, Note
from drafter.guard.matching import FigureMatcher
from drafter.guard.quantities import Quantity
from drafter.guard.units import is_measure

__all__ = ["allowed_text", "check_draft", "name_tokens"]


@functools.lru_cache(maxsize=1024)
def name_tokens(name: str) -> frozenset[str]:
    """Content tokens of a figure name (jieba search mode, simplified script, no numerals, units or function words).

    Args:
        name: the figure's name, e.g. 新建改造農村公路.

    Returns:
        e.g. ``{"新建", "改造", "农村", "公路", "农村公路"}``.
    """
    return frozenset(NameIndex([name]).tokens(0))


def _note(q: Quantity) -> Note | None:
    if q.rank or q.numerals != "chinese" or q.value is None or q.approximate or q.high is not None:
        return None
    if not (is_measure(q.unit) or q.value >= 10 or q.value != q.value.to_integral_value()):
        return None
    arabic = f"{format_decimal(q.value)}{q.unit}"
    return Note(
        q.text, q.start, q.end,
        f"{q.text} is written in Chinese numerals; GB/T 15835-2011 (4.1.1) asks for Arabic numerals in counts and measures: {arabic}.",
    )


def allowed_text(figures: FigureSet | Sequence[Figure]) -> str:
    """The user's own words, where a draft's names may come from.

    Args:
        figures: a :class:`FigureSet` (title, organisation, period, figure
            names, facts and names count) or a list of :class:`Figure` (their
            names count).

    Returns:
        Those texts, one a line.
    """
    if isinstance(figures, FigureSet):
        parts = [figures.title, figures.organisation, figures.period, *(f.name for f in figures.figures),
                 *(f.text for f in figures.facts), *figures.names]
    else:
        parts = [getattr(f, "name", "") for f in figures]
    return "\n".join(p for p in parts if p)


def check_draft(
    draft: str,
    figures: FigureSet | Sequence[Figure],
    context: Sequence[str] | None = None,
    *,
    copied_chars: int = 20,
) -> CheckResult:
    """Check that every number in ``draft`` is one of ``figures``, bound to its name.

    With ``context``, also report names (``stale_name``) and runs of text
    (``copied``) carried over from the passages.

    Args:
        draft: the draft text, either script.
        figures: the user's figures (a :class:`FigureSet` or a list of
            :class:`Figure`); a FigureSet's title, organisation, period,
            facts and names are the names a draft may use.
        context: the passages the model saw (style examples, old reports);
            an invented quantity found in them is reported as ``stale``, a
            name found in them and not in the user's inputs as ``stale_name``,
            and a run of ``copied_chars`` characters standing in one as ``copied``.
        copied_chars: shortest copied run reported (set phrases not counted).

    Returns:
        A :class:`CheckResult`: findings in draft order (``missing`` last),
        each with its explanation and ``binding`` note; per-figure status
        (``found`` when the figure stands, with its value and unit, where its
        name is); and GB/T 15835-2011 style notes.

    Raises:
        InputError: ``figures`` is neither a FigureSet nor a list of Figure.

    Example:
        >>> from drafter.figures import Figure
        >>> from decimal import Decimal
        >>> r = check_draft("新建改造农村公路4.6公里。", [Figure("新建改造农村公路", Decimal("4.5"), "公里")])
        >>> [f.kind for f in r.findings]
        ['altered']
    """
    fig_list = list(figures.figures if isinstance(figures, FigureSet) else figures)
    if not all(isinstance(f, Figure) for f in fig_list):
        raise InputError("check_draft: figures must be a FigureSet or a list of Figure.")
    run = FigureMatcher(draft, fig_list, context)
    findings = run.run()
    notes = [n for q in run.qs if (n := _note(q))]
    if context:
        from drafter.guard.copying import find_copied
        from drafter.guard.names import find_stale_names

        passages = [c for c in context if c]
        findings.extend(find_stale_names(draft, passages, allowed_text(figures)))
        findings.extend(find_copied(draft, passages, copied_chars))
    findings.sort(key=lambda f: f.start)
    statuses = []
    for i, f in enumerate(fig_list):
        qi = run.found.get(i)
        q = run.qs[qi] if qi is not None else None
        statuses.append(FigureStatus(f.name, q is not None, q.start if q else -1, q.end if q else -1))
        if q is None and i not in run.concerned:
            findings.append(Finding("missing", "", -1, -1, f.name, f"{f.name} ({f.render()}) does not appear in the draft.",
                                    "no quantity of the draft has its value and unit where its name is"))
    return CheckResult(findings=findings, figures=statuses, notes=notes)
