"""The genre's checks of how figures are written: a figure's value after another name
(``figure_name``), a figure name used as a measure (``name_as_measure``), base data or a
change written against its role (``figure_role``), and deliverables the input does not
hold (``unsupported``). Part of :func:`drafter.guard.genre.check_genre`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from drafter.figures import Figure
from drafter.guard.findings import Finding
from drafter.guard.genre_rules import Rules, finding
from drafter.guard.numerals import fold_text
from drafter.text.textutil import HAN, words

__all__ = ["figure_names", "unsupported"]


def _stem(name: str, r: Rules) -> str:
    """A figure name without its table suffix (沼气池数量 → 沼气池)."""
    for suffix in r.name_suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


_PAIR_GLUE = re.compile(r"(?:[，,、]?(?:同比)?(?:增长|增加|提高|提升|下降|减少|降低|增幅|增速|降幅)(?:达到)?|[、])$")
"""What stands between the two figures of a pair (、 or ，增长)."""


def _clause_around(norm: str, start: int, length: int) -> str:
    """The clause around a value, without the value (the text between punctuation marks)."""
    a = max(norm.rfind(c, 0, start) for c in "，,。；;：:、\n") + 1
    ends = [i for i in (norm.find(c, start + length) for c in "，,。；;：:、\n") if i >= 0]
    b = min(ends) if ends else len(norm)
    return norm[a:start] + norm[start + length : b]


def _in_order(name: str, text: str) -> bool:
    """Every character of ``name`` stands in ``text``, in order."""
    it = iter(text)
    return all(ch in it for ch in name)


def figure_names(text: str, norm: str, figures: Sequence[Figure], r: Rules) -> list[Finding]:
    """``figure_name``, ``figure_role`` and ``name_as_measure`` findings of ``text`` (``norm``: its
    :func:`~drafter.guard.numerals.fold_text`) for ``figures``, by the rules ``r``."""
    out = []
    for fig in figures:
        name = fold_text(fig.name)
        stem = _stem(name, r)
        value = fold_text(fig.render())
        spots = [m.start() for m in re.finditer(re.escape(value) + r"(?![0-9.])", norm)
                 if m.start() == 0 or not norm[m.start() - 1].isdigit()]
        if not spots or name in norm or stem in norm:
            continue
        if any(_in_order(stem, _clause_around(norm, a, len(value))) for a in spots):
            continue  # the name stands around its value (辖9个乡镇 for 辖乡镇)
        others = [fold_text(g.render()) for g in figures if g is not fig]
        if any(_PAIR_GLUE.sub("", norm[max(0, a - 12):a]).endswith(tuple(others)) for a in spots):
            continue  # the second of a pair shares the first's name (有脱贫户86户257人; 农业总产值86.4亿元，增长5.8%)
        a = spots[0]
        clause_start = max(norm.rfind(c, 0, a) for c in "，,。；;：:、\n") + 1
        written = text[clause_start:a]
        out.append(Finding("figure_name", text[clause_start : a + len(value)], clause_start, a + len(value), fig.name,
                           f"{fig.render()} is the figure {fig.name}, but the draft names it {written or '(nothing)'}; "
                           "the user's name must stand as given."))
    out.extend(_roles(text, norm, figures))
    for fig in figures:
        name = fold_text(fig.name)
        if not name.endswith(r.level_endings) and fig.unit not in ("%", "％"):
            continue
        for m in re.finditer(re.escape(name) + r"(?:的)?(?:建设|实施|推进|开展)|通过[^。；]{0,30}?" + re.escape(name)
                             + r"[^。；]{0,30}?等(?:措施|举措|方式|手段|办法)", norm):
            out.append(finding("name_as_measure", text, m.start(), m.end(),
                                f"{fig.name} is a level or a result, not a measure taken; say what was done to reach it.", fig.name))
    return out


def _roles(text: str, norm: str, figures: Sequence[Figure]) -> list[Finding]:
    """Base data written as an achievement; a level and its change in two items."""
    from drafter.drafting.clauses import _change_pair, figure_role

    out = []
    for fig in figures:
        name = fold_text(fig.name)
        if figure_role(fig) == "base":
            for m in re.finditer(re.escape(name) + r"(?:达到|新增|增至)", norm):
                out.append(finding("figure_role", text, m.start(), m.end(),
                                    f"{fig.name} describes the place; state it (全村{fig.name}{fig.render()}), once, "
                                    "in the opening — it is not an achievement.", fig.name))
    for level in figures:
        for change in figures:
            if change is level or not _change_pair(level, change):
                continue
            a, b = norm.find(fold_text(level.render())), norm.find(fold_text(change.render()))
            if a < 0 or b < 0:
                continue
            between = norm[min(a, b): max(a, b)]
            if re.search(r"[；;。\n]|[一二三四五六七八九十]是", between):
                out.append(finding("figure_role", text, b, b + len(fold_text(change.render())),
                                    f"{change.name} is the change of {level.name}; write it with its level in one clause "
                                    f"({level.name}{level.render()}，增长{change.render()}).", change.name))
    return out


def unsupported(text: str, norm: str, user_text: str, figures: Sequence[Figure], r: Rules) -> list[Finding]:
    """``unsupported`` findings: deliverables ``text`` asserts that neither ``user_text`` nor a figure's name holds."""
    user = fold_text(user_text + "\n" + "\n".join(f.name for f in figures))
    user_words = {w for w, _, _ in words(user) if len(w) >= 2}
    out = []
    for m in r.deliverable.finditer(norm):
        obj = m.group(1)
        content = [w for w, _, _ in words(obj) if len(w) >= 2 and HAN.match(w[0])]
        if not content or any(w in user_words or w in user for w in content[-1:]):
            continue
        out.append(finding("unsupported", text, m.start(), m.end(),
                            f"{m.group(0)}: a deliverable none of the figures or facts holds; remove it or add it to the input."))
    for m in re.finditer(r"“([^”]{2,16})”(?=活动|工程|行动|项目|计划|品牌|模式)", norm):
        if m.group(1) not in user:
            out.append(finding("unsupported", text, m.start(), m.end(),
                                f"{m.group(0)}: a named programme none of the facts holds."))
    return out
