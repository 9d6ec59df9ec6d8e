"""The copy guard: a draft must not carry whole sentences of an old report.

:func:`find_copied` reports each run of at least ``min_chars`` characters of a
draft that stands verbatim in a context passage. Texts are compared after
script normalisation:

- the draft is folded character by character (:func:`drafter.guard.numerals.fold_text`:
  NFKC per character, traditional → simplified), whitespace left out, with a
  map from each compared character back to its offset in the draft;
- a passage is folded the same way *and* converted phrase by phrase
  (:func:`drafter.text.script.to_simplified`, so 專案 meets 项目); a run may match
  either form;
- quotation marks of every style (“” ‘’ 「」 『』 "" '') compare alike; 书名号 《》 do not fold.

Set phrases of the genre (``drafter/data/set_phrases.txt``: 巩固拓展脱贫攻坚成果同乡村振兴有效衔接 …)
do not count: their characters are left out of a run's length, so a run is
reported only when at least ``min_chars`` of its characters are not set phrases.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

from drafter.guard.findings import Finding
from drafter.guard.numerals import fold_text
from drafter.data import read_text
from drafter.text.punctuation import QUOTE_PAIRS, STRAIGHT_QUOTES, mark_chars

__all__ = ["find_copied", "set_phrases"]

_QUOTES = {c: '"' for c in mark_chars(QUOTE_PAIRS, STRAIGHT_QUOTES)}
"""Every quotation mark (:mod:`drafter.text.punctuation`) compares as ``"``. 书名号 are compared as
written: 《》 around a title copied from a passage is part of what was copied."""
_SEED = 8  # characters of the exact seeds a run grows from


def _normalise(text: str) -> tuple[str, list[int]]:
    """Folded text without whitespace, and each character's offset in ``text``."""
    folded = fold_text(text)
    chars, offsets = [], []
    for i, ch in enumerate(folded):
        if ch.isspace():
            continue
        chars.append(_QUOTES.get(ch, ch))
        offsets.append(i)
    return "".join(chars), offsets


def _passage_forms(text: str) -> list[str]:
    from drafter.text.script import to_simplified

    folded = _normalise(text)[0]
    phrased = "".join(_QUOTES.get(ch, ch) for ch in unicodedata.normalize("NFKC", to_simplified(text)) if not ch.isspace())
    return [folded] if phrased == folded else [folded, phrased]


@functools.lru_cache(maxsize=1)
def set_phrases() -> tuple[str, ...]:
    """The set phrases of ``drafter/data/set_phrases.txt``, normalised, longest first."""
    raw = read_text("set_phrases.txt")
    phrases = {_normalise(line.split("#", 1)[0].strip())[0] for line in raw.splitlines()}
    return tuple(sorted((p for p in phrases if p), key=len, reverse=True))


def _set_phrase_mask(norm: str) -> list[bool]:
    mask = [False] * len(norm)
    for phrase in set_phrases():
        start = norm.find(phrase)
        while start >= 0:
            for i in range(start, start + len(phrase)):
                mask[i] = True
            start = norm.find(phrase, start + 1)
    return mask


def find_copied(draft: str, context: Sequence[str], min_chars: int = 20) -> list[Finding]:
    """``copied`` findings: runs of the draft that stand verbatim in a context passage.

    Args:
        draft: the draft, either script.
        context: the passages the model saw.
        min_chars: shortest run reported, counted in characters other than
            whitespace and set phrases.

    Returns:
        One finding per copied run (overlapping runs joined), in draft order;
        ``text``, ``start`` and ``end`` are the run as written in the draft.

    Example:
        >>> old = "堅持把城鄉環衛一體化作為鄉村振興的基礎工程,統籌推進垃圾收運體系建設。"
        >>> [f.text for f in find_copied("我们坚持把城乡环卫一体化作为乡村振兴的基础工程。", [old])]
        ['坚持把城乡环卫一体化作为乡村振兴的基础工程']
    """
    norm, offsets = _normalise(draft)
    passages = [form for c in context if c for form in _passage_forms(c)]
    seed = max(1, min(_SEED, min_chars))
    if not norm or not passages or len(norm) < seed:
        return []
    index: dict[str, list[tuple[int, int]]] = {}
    for pi, p in enumerate(passages):
        for j in range(len(p) - seed + 1):
            index.setdefault(p[j : j + seed], []).append((pi, j))
    free = _set_phrase_mask(norm)
    runs: list[tuple[int, int]] = []
    reach = -1
    for i in range(len(norm) - seed + 1):
        occurrences = index.get(norm[i : i + seed])
        if not occurrences:
            continue
        longest = 0
        for pi, j in occurrences[:64]:
            p, n = passages[pi], seed
            while i + n < len(norm) and j + n < len(p) and norm[i + n] == p[j + n]:
                n += 1
            longest = max(longest, n)
        end = i + longest
        if end <= reach:
            continue  # inside a longer run already found
        reach = end
        if sum(1 for k in range(i, end) if not free[k]) >= min_chars:
            runs.append((i, end))
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        start, end = offsets[a], offsets[b - 1] + 1
        counted = sum(1 for k in range(a, b) if not free[k])
        out.append(Finding("copied", draft[start:end], start, end, None,
                           f"{counted} characters stand verbatim in a context passage (set phrases aside); "
                           "write them in this report's own words."))
    return out
