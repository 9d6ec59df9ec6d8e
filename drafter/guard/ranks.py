"""Ranks in report prose (位居全县第二位, 排名第五, 全市第一): read for the checker, not as amounts.

:func:`drafter.guard.quantities.extract_quantities` never reads an ordinal (第三,
第一名, 第2天): an ordinal counts nothing. But a rank is a claim a report
makes about this period — 本村各项工作全县排名第一 — and a model that writes
one the user did not give has invented it. So the number guard reads ranks
separately, with :func:`extract_ranks`, and a figure whose unit is 位 or 名
(``{name: 全县综合考核排名, value: 2, unit: 位}``) can match one.

A 第 + numeral is a rank when, within the same clause,

- a rank verb stands before it (排名, 排位, 排在, 位居, 位列, 名列, 居, 列,
  获, 荣获, 夺得 … ``rank_verbs`` in ``drafter/data/binding.yaml``), at most
  :data:`WINDOW` characters back (位居全县第二位, 列…百强榜第3位); or
- a scope word stands right before it (全县第一, 全省第3名: ``rank_scopes``);

and the numeral is followed by 位 or 名, or ends the phrase (punctuation, 的,
the end of the text). So 全省第一批, 全县第一个建成, 第一书记 and 第四届
are not ranks. The value is the numeral (第二 → 2); the unit is 位 or 名 as
written, else ``""``. 第xx位 is a placeholder.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from drafter.guard.numerals import fold_text, parse_folded
from drafter.guard.quantities import Quantity

__all__ = ["WINDOW", "extract_ranks"]

WINDOW = 16
"""Most characters between a rank verb and the 第 it governs."""

_NUM = r"(?:[0-9]+|[零〇一二两三四五六七八九十百]+|[xX]{1,3})"


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    from drafter.guard.binding import lexicon

    lex = lexicon()
    verbs = "|".join(sorted(map(re.escape, lex.rank_verbs), key=len, reverse=True))
    scopes = "|".join(sorted(map(re.escape, lex.rank_scopes), key=len, reverse=True))
    tail = rf"(第({_NUM})([位名])?)(?=$|[\s，,。；;、！!？?：:）)”」]|的)"
    by_verb = re.compile(rf"(?:{verbs})[^，,。；;！!？?\n第]{{0,{WINDOW}}}?{tail}")
    by_scope = re.compile(rf"(?:{scopes}){tail}")
    return by_verb, by_scope


def extract_ranks(text: str) -> list[Quantity]:
    """Every rank stated in ``text``, in text order.

    Args:
        text: report text in either script.

    Returns:
        One :class:`~drafter.guard.quantities.Quantity` per rank, with ``rank=True``,
        ``value`` the place (1 for 第一), ``unit`` 位/名 as written or ``""``,
        and offsets of the 第… span. 第xx位 gives a placeholder.

    Example:
        >>> [(q.text, str(q.value)) for q in extract_ranks("位居全县第二位，排名第五。")]
        [('第二位', '2'), ('第五', '5')]
    """
    if not text or "第" not in text:
        return []
    norm = fold_text(text)
    found: dict[int, Quantity] = {}
    for pattern in _patterns():
        for m in pattern.finditer(norm):
            start, end = m.start(1), m.end(1)
            if start in found:
                continue
            numeral, unit = m.group(2), m.group(3) or ""
            if "x" in numeral.lower():
                found[start] = Quantity(None, unit, start, end, text[start:end], placeholder=True, rank=True)
                continue
            try:
                value = parse_folded(numeral)
            except ValueError:
                continue
            numerals = "arabic" if numeral.isdigit() and numeral.isascii() else "chinese"
            found[start] = Quantity(Decimal(value), unit, start, end, text[start:end], numerals=numerals, rank=True)
    return [found[k] for k in sorted(found)]
