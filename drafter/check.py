"""The number guard: every quantity in a draft must be one of the user's figures.

:func:`check_draft` extracts the quantities of a draft
(:func:`drafter.quantities.extract_quantities`) and compares them with the
figures. It is a pure function: same input, same :class:`CheckResult`.

How a quantity and a figure are compared:

- **Values** compare after scaling and unit conversion
  (:func:`drafter.units.canonical`): 2.5万头 = 25000头, 1.49亿元 = 14900万元,
  百分之八十 = 80%, 萬元 = 万元, 公里 = 千米. 95% and 95个百分点 differ:
  percentage points are not percent.
- **增长 versus 增至**: a figure whose name states a change (增长, 提高, 下降 …)
  must not be written as a level (增至8.5%, 提高到8.5%), nor a figure named as a
  level (增至, 达到) as a change; either is reported as ``altered``.
- **Binding**: a figure must stand where its name is. The draft is cut into
  clauses at ，。；！？、, line breaks and enumeration markers (一是, 第二, 首先);
  within a clause, a quantity's words are the text back to the previous
  quantity or connective (和, 与, 及), and, when that names no figure, forward
  to the next one (建成120盏路灯和2处文化广场). The
  quantity is bound to a figure when those words contain one of the figure's
  *distinctive* name tokens: jieba tokens of its name (either script) that no
  other figure's name shares, preferring tokens of two characters or more
  (all its tokens when every one is shared).

Findings, per quantity of the draft:

- ``placeholder``: a template placeholder (xx%, x.xx万元);
- ``misplaced``: a figure's value and unit, bound to other words than the
  figure's name (figures 路灯 120盏 and 文化广场 2处 drafted 新建文化广场120盏);
- ``unit_mismatch``: a figure's number with another unit (95个百分点 for 95%);
- ``altered``: a quantity bound to a figure, same kind of unit, other value
  (4.6公里 for 4.5公里);
- ``stale``: a quantity matching no figure that occurs in the context passages
  (copied from an old report);
- ``invented``: any other quantity matching no figure;

and, per figure, ``missing`` when it appears nowhere (and no finding above
concerns it).

When context passages are given, the draft is also checked for what else a
model carries over from them (issue 7):

- ``stale_name``: a proper name (village, town, county, enterprise, programme,
  person …) of the draft that occurs in the passages but not in the user's
  inputs (:func:`drafter.names.find_stale_names`). With a :class:`FigureSet`
  the inputs are its title, organisation, period, figure names, facts and
  names; with a list of figures, the figure names alone;
- ``copied``: a run of at least 20 characters standing verbatim (after script
  normalisation) in a passage, set phrases of the genre aside
  (:func:`drafter.copying.find_copied`).

Style notes (never failures) flag counts and measures written
in Chinese numerals, which GB/T 15835-2011 (4.1.1) asks to write in Arabic ones.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .errors import InputError
from .figures import Figure, FigureSet, format_decimal
from .findings import CheckResult, Finding, FigureStatus, Note
from .numerals import fold_text
from .quantities import Quantity, extract_quantities
from .units import canonical, is_measure

__all__ = ["allowed_text", "check_draft"]

_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?、：:\n\r]|(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|首先|其次|再次|最后)")
_CONNECTIVES = frozenset({"以及", "同时", "和", "与", "及", "并", "并且", "还有"})
_STOP_TOKENS = frozenset("的 了 和 与 及 或 等 共 个 为 是 在 中 其 全 总 数 量 达 达到 累计 其中 全年 完成 实现 有 对 把 将 由 从 到 并".split())


@dataclass(frozen=True)
class _Fig:
    figure: Figure
    key: tuple[Decimal, str]
    tokens: frozenset[str]


@functools.lru_cache(maxsize=1)
def _jieba():  # -> module
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@functools.lru_cache(maxsize=1024)
def name_tokens(name: str) -> frozenset[str]:
    """Content tokens of a figure name (jieba, simplified script, no numerals or function words).

    Args:
        name: the figure's name, e.g. 新建改造農村公路.

    Returns:
        e.g. ``{"新建", "改造", "农村", "公路"}``.
    """
    folded = fold_text(name)
    tokens = set()
    for tok in _jieba().lcut(folded):
        tok = tok.strip()
        if not tok or tok in _STOP_TOKENS or not re.search(r"[\u3400-\u9fffA-Za-z]", tok):
            continue
        if re.fullmatch(r"[0-9零〇一二两三四五六七八九十百千万亿.]+", tok):
            continue
        tokens.add(tok)
    return frozenset(tokens or {folded})


def _distinctive(figs: list[_Fig]) -> dict[int, frozenset[str]]:
    out = {}
    for i, f in enumerate(figs):
        others = set().union(*(g.tokens for j, g in enumerate(figs) if j != i)) if len(figs) > 1 else set()
        own = f.tokens - others
        longer = {t for t in own if len(t) > 1}  # 户 alone would match 农户, 住户 …
        out[i] = frozenset(longer or own or f.tokens)
    return out


def _clauses(norm: str) -> list[tuple[int, int]]:
    cuts = [0]
    for m in _CLAUSE_BREAK.finditer(norm):
        cuts.extend((m.start(), m.end()))
    cuts.append(len(norm))
    return [(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if b > a]


def _words(norm: str, qs: list[Quantity], idx: int, clauses: list[tuple[int, int]]) -> tuple[str, str]:
    """The words before and after quantity ``idx`` within its clause, up to its neighbours."""
    q = qs[idx]
    cs, ce = next(((a, b) for a, b in clauses if a <= q.start < b), (0, len(norm)))
    left = max([cs] + [o.end for o in qs if o.end <= q.start and o.end > cs])
    right = min([ce] + [o.start for o in qs if o.start >= q.end and o.start < ce])
    # 建成120盏路灯和2处文化广场: the words before 2处 start after the connective.
    # Connectives are whole jieba words, so 普及率 or 以及时 are not cut at 及.
    before = _jieba().lcut(norm[left : q.start])
    after = _jieba().lcut(norm[q.end : right])
    cut_before = max((i for i, t in enumerate(before) if t in _CONNECTIVES), default=-1)
    cut_after = min((i for i, t in enumerate(after) if t in _CONNECTIVES), default=len(after))
    return "".join(before[cut_before + 1 :]), "".join(after[:cut_after])


def _key(value: Decimal, unit: str) -> tuple[Decimal, str]:
    v, base = canonical(value, unit)
    return v.normalize(), base


_CHANGE = re.compile(r"增长|增加|提高|提升|下降|减少|降低|增幅|降幅|增速")
_LEVEL_BEFORE = re.compile(r"(?:增至|增长到|增长至|增加到|增加至|提高到|提高至|提升到|提升至|降至|降到|下降到|下降至|减少到|减少至|减至)\s*$")
_LEVEL_IN_NAME = re.compile(r"增至|增长到|增加到|提高到|提高至|提升到|降至|降到|下降到|减少到|减至|达到")
_CHANGE_BEFORE = re.compile(r"(?:增长|增加|提高|提升|下降|减少|降低)(?:了)?\s*$")


def _verb_clash(name: str, before: str) -> str:
    """增长 versus 增至: a change (grew by 8.5%) is not a level (grew to 8.5%).

    Returns an explanation when the figure's name states a change and the draft
    writes the number as a level, or the other way round; else ``""``.
    """
    name = fold_text(name)
    if _CHANGE.search(name) and not _LEVEL_BEFORE.search(name) and _LEVEL_BEFORE.search(before):
        return f"{name} is a change (增长/提高 by), but the draft states it as a level (增至/提高到)."
    if _LEVEL_IN_NAME.search(name) and _CHANGE_BEFORE.search(before):
        return f"{name} is a level (增至/达到), but the draft states it as a change (增长/提高 by)."
    return ""


def _note(q: Quantity) -> Note | None:
    if q.numerals != "chinese" or q.value is None or q.approximate or q.high is not None:
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
        per-figure status (``found`` when the figure stands, with its value
        and unit, in a clause that names it), and GB/T 15835-2011 style notes.

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
    figs = [_Fig(f, _key(f.value, f.unit), name_tokens(f.name)) for f in fig_list]
    distinct = _distinctive(figs)
    norm = fold_text(draft)
    quantities = extract_quantities(draft)
    # A figure's own name may hold a number (年出栏千头以上猪场): that number is the user's words.
    name_spans = [(m.start(), m.end()) for f in fig_list for m in re.finditer(re.escape(fold_text(f.name)), norm)]
    quantities = [q for q in quantities if not any(a <= q.start and q.end <= b for a, b in name_spans)]
    clauses = _clauses(norm)
    context_keys = {
        _key(v, q.unit)
        for passage in (context or [])
        for q in extract_quantities(passage)
        for v in q.values
    }

    def binding(idx: int) -> list[int]:
        """Figures whose distinctive tokens stand in the quantity's words (left side first)."""
        left, right = _words(norm, quantities, idx, clauses)
        named_left = [i for i in range(len(figs)) if any(t in left for t in distinct[i])]
        if named_left:
            return named_left
        return [i for i in range(len(figs)) if any(t in right for t in distinct[i])]

    findings: list[Finding] = []
    notes: list[Note] = []
    found: dict[int, Quantity] = {}
    concerned: set[int] = set()
    pending: list[tuple[int, Quantity]] = []
    for idx, q in enumerate(quantities):
        if q.placeholder:
            findings.append(Finding("placeholder", q.text, q.start, q.end, None, f"{q.text} is a placeholder; put the figure in."))
            continue
        note = _note(q)
        if note:
            notes.append(note)
        exact = [i for i, f in enumerate(figs) if q.high is None and q.value is not None and _key(q.value, q.unit) == f.key]
        if not exact:
            pending.append((idx, q))
            continue
        bound = [i for i in exact if i in binding(idx)]
        if bound:
            i = next((i for i in bound if i not in found), bound[0])
            clash = _verb_clash(figs[i].figure.name, _words(norm, quantities, idx, clauses)[0])
            if clash:
                concerned.add(i)
                findings.append(Finding("altered", q.text, q.start, q.end, figs[i].figure.name, clash))
                continue
            found.setdefault(i, q)
            continue
        i = next((i for i in exact if i not in found), exact[0])
        concerned.add(i)
        name = figs[i].figure.name
        findings.append(Finding("misplaced", q.text, q.start, q.end, name,
                                f"{q.text} is the figure {name}, but this clause does not name {name}."))
    for idx, q in pending:
        findings.append(_unmatched(q, binding(idx), figs, found, concerned, context_keys))
    if context:
        from .copying import find_copied
        from .names import find_stale_names

        passages = [c for c in context if c]
        findings.extend(find_stale_names(draft, passages, allowed_text(figures)))
        findings.extend(find_copied(draft, passages, copied_chars))
    findings.sort(key=lambda f: f.start)
    statuses = []
    for i, f in enumerate(figs):
        q = found.get(i)
        statuses.append(FigureStatus(f.figure.name, q is not None, q.start if q else -1, q.end if q else -1))
        if q is None and i not in concerned:
            findings.append(Finding("missing", "", -1, -1, f.figure.name,
                                    f"{f.figure.name} ({f.figure.render()}) does not appear in the draft."))
    return CheckResult(findings=findings, figures=statuses, notes=notes)


def _unmatched(
    q: Quantity,
    bound: list[int],
    figs: list[_Fig],
    found: dict[int, Quantity],
    concerned: set[int],
    context_keys: set[tuple[Decimal, str]],
) -> Finding:
    """Classify a quantity that equals no figure: unit_mismatch, altered, stale or invented."""
    qkeys = [_key(v, q.unit) for v in q.values]
    folded_unit = fold_text(q.unit)

    def same_number(f: _Fig) -> bool:
        return q.high is None and q.value is not None and (q.value == f.figure.value or qkeys[0][0] == f.key[0])

    for i in bound:
        f = figs[i]
        if same_number(f) and folded_unit != fold_text(f.figure.unit):
            concerned.add(i)
            return Finding("unit_mismatch", q.text, q.start, q.end, f.figure.name,
                           f"{q.text} has the number of {f.figure.name} with another unit; the figure is {f.figure.render()}.")
    for i in bound:
        f = figs[i]
        if all(k[1] == f.key[1] for k in qkeys):
            concerned.add(i)
            return Finding("altered", q.text, q.start, q.end, f.figure.name,
                           f"{q.text} is not a given figure; {f.figure.name} is {f.figure.render()}.")
    for i, f in enumerate(figs):
        if i not in found and same_number(f) and folded_unit != fold_text(f.figure.unit) and qkeys[0][1] != f.key[1]:
            concerned.add(i)
            return Finding("unit_mismatch", q.text, q.start, q.end, f.figure.name,
                           f"{q.text} has the number of {f.figure.name} with another unit; the figure is {f.figure.render()}.")
    if any(k in context_keys for k in qkeys):
        return Finding("stale", q.text, q.start, q.end, None,
                       f"{q.text} is not a given figure; it occurs in the context passages (copied from an old report?).")
    return Finding("invented", q.text, q.start, q.end, None, f"{q.text} is not a given figure.")
