"""A change is not a level: 增长 (grew by) against 增至 (grew to), in a figure's name and in the draft.

The change words are those of ``drafter/data/clause_words.yaml``, the lexicon the clause
writer (:mod:`drafter.drafting.clauses`) writes with, so what the writer puts and what the
checker accepts cannot drift apart. :func:`verb_clash` is what
:class:`drafter.guard.matching.FigureMatcher` asks before it takes a quantity for a figure.
"""

from __future__ import annotations

import functools
import re

from drafter.data import load_yaml
from drafter.guard.numerals import fold_text

__all__ = ["change_patterns", "verb_clash"]

_LEVEL_BEFORE = re.compile(r"(?:增至|增长到|增长至|增加到|增加至|提高到|提高至|提升到|提升至|降至|降到|下降到|下降至|减少到|减少至|减至)\s*$")
_LEVEL_IN_NAME = re.compile(r"增至|增长到|增加到|提高到|提高至|提升到|降至|降到|下降到|减少到|减至|达到")


@functools.lru_cache(maxsize=1)
def change_patterns() -> tuple[re.Pattern, re.Pattern]:
    """The change words of ``drafter/data/clause_words.yaml`` — the lexicon the clause writer
    (:mod:`drafter.drafting.clauses`) uses too — as ``(in_name, before_number)``: any change
    word in a figure's name (增长, 增幅 …), and a change verb written as itself (增长, not 增速)
    right before a number, optionally with 了."""
    words = load_yaml("clause_words.yaml")
    every = sorted(words["change_verbs"], key=len, reverse=True)
    verbs = [w for w in every if words["change_as_written"].get(w, w) == w]
    return (re.compile("|".join(map(re.escape, every))),
            re.compile(f"(?:{'|'.join(map(re.escape, verbs))})(?:了)?\\s*$"))


def verb_clash(name: str, before: str) -> str:
    """增长 versus 增至: a change (grew by 8.5%) is not a level (grew to 8.5%).

    Returns an explanation when the figure's name states a change and the draft
    writes the number as a level, or the other way round; else ``""``.
    """
    name = fold_text(name)
    in_name, before_number = change_patterns()
    if in_name.search(name) and not _LEVEL_BEFORE.search(name) and _LEVEL_BEFORE.search(before):
        return f"{name} is a change (增长/提高 by), but the draft states it as a level (增至/提高到)."
    if _LEVEL_IN_NAME.search(name) and before_number.search(before):
        return f"{name} is a level (增至/达到), but the draft states it as a change (增长/提高 by)."
    return ""
