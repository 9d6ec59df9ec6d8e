"""Which figure some words name: figure names cut into weighted tokens (:class:`NameIndex`).

The binder (:mod:`drafter.guard.binding`) finds the words a quantity counts; this index
scores those words against each figure's name, for :class:`drafter.guard.matching.FigureMatcher`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from drafter.guard.binding import Cue, lexicon
from drafter.guard.numerals import fold_text
from drafter.guard.units import lexicon as unit_lexicon
from drafter.text.textutil import HAN
from drafter.text.textutil import jieba as jieba_module

__all__ = ["NameIndex"]


class NameIndex:
    """Figure names cut into weighted tokens, to tell which figure some words name.

    Args:
        names: the figures' names, in any script.

    A token scores its length, ×2 when no other name contains it, ×0.5 for a
    table suffix (``table_suffixes``); the whole name standing in the words
    scores its length once more. Tokens that are function or scope words
    (``name_stop_words``), numerals or units are dropped, and one-character
    tokens are kept only for a name that has no longer one.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = [fold_text(n) for n in names]
        own = [self._tokens(n) for n in self.names]
        suffixes = lexicon().table_suffixes

        def distinct(i: int, t: str) -> bool:  # 贫户 of 易致贫户 is not distinct beside a figure 脱贫户
            return not any(t in other for j, other in enumerate(self.names) if j != i)

        self.distinct = [{t for t in toks if distinct(i, t)} for i, toks in enumerate(own)]
        self.weights: list[dict[str, float]] = [
            {t: len(t) * (2.0 if t in self.distinct[i] else 1.0) * (0.5 if t in suffixes else 1.0) for t in toks}
            for i, toks in enumerate(own)
        ]

    @staticmethod
    @functools.lru_cache(maxsize=2048)
    def _tokens(name: str) -> frozenset[str]:
        lex, units = lexicon(), unit_lexicon().kinds
        toks = set()
        for tok in jieba_module().cut_for_search(name):
            tok = tok.strip()
            if not tok or tok in lex.name_stop_words or tok in units or not HAN.search(tok):
                continue
            if len(tok) > 1 and tok[0] in "十百千万亿" and tok[1:] in units:
                continue  # 万元, 千头: a multiplier and a unit name nothing
            if re.search(r"[0-9]", tok) or re.fullmatch(r"[零〇一二两三四五六七八九十百千万亿]+", tok):
                continue
            toks.add(tok)
        longer = {t for t in toks if len(t) > 1}
        return frozenset(longer or toks or {name})

    def tokens(self, i: int) -> dict[str, float]:
        """Token → weight of figure ``i``'s name."""
        return self.weights[i]

    def score(self, i: int, text: str) -> float:
        """How strongly ``text`` names figure ``i`` (0 when it does not); the whole name counts its length again."""
        whole = len(self.names[i]) if len(self.names[i]) > 1 and self.names[i] in text else 0
        return sum(w for t, w in self.weights[i].items() if t in text) + whole

    def score_cues(self, i: int, cues: Sequence[Cue]) -> float:
        """:meth:`score` over several cues: each token counts once, at the weight of the best cue holding it."""
        total = 0.0
        for tok, w in self.weights[i].items():
            total += w * max((c.weight for c in cues if tok in c.text), default=0.0)
        name = self.names[i]
        if len(name) > 1:  # the whole name, in one cue or across the words before and after (今年纳入|1户|边缘易致贫户)
            joined = "".join(c.text for c in sorted(cues, key=lambda c: c.start))
            best = max((c.weight for c in cues if name in c.text), default=1.0 if name in joined else 0.0)
            total += len(name) * best
        return total

    def distinctly(self, i: int, cues: Sequence[Cue]) -> bool:
        """True when a token of figure ``i``'s name that no other name contains stands in a cue."""
        return any(t in c.text for t in self.distinct[i] for c in cues)

    def matched(self, i: int, text: str) -> list[str]:
        """The tokens of figure ``i``'s name that stand in ``text`` (longest first)."""
        found = sorted((t for t in self.weights[i] if t in text), key=len, reverse=True)
        return [t for k, t in enumerate(found) if not any(t in u for u in found[:k])]
