"""Quotation marks and book-title marks: the one list every part of Drafter reads.

The marks follow GB/T 15834-2011 《标点符号用法》: 引号 (4.8) are “ ” and, inside
them, ‘ ’; vertical and traditional-script text writes them 「 」 and 『 』. 书名号
(4.15) are 《 》 and, inside them, 〈 〉. Models and pasted text also write the
straight ASCII marks ``"`` and ``'``, which the standard does not list; they are
kept apart (:data:`STRAIGHT_QUOTES`) because ``'`` is an apostrophe as often as a
quotation mark, and a straight mark opens and closes alike.

A module that treats a mark differently (the copy guard compares titles as
written, the chunker does not pair straight marks) says so where it picks its set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

QUOTE_PAIRS: dict[str, str] = {"“": "”", "‘": "’", "「": "」", "『": "』"}
"""Opening → closing 引号 (GB/T 15834-2011 4.8): double and single, horizontal and corner forms."""
TITLE_PAIRS: dict[str, str] = {"《": "》", "〈": "〉"}
"""Opening → closing 书名号 (GB/T 15834-2011 4.15): outer and inner."""
STRAIGHT_QUOTES: tuple[str, ...] = ('"', "'")
"""ASCII quotation marks (not in the standard): each opens and closes alike."""


def mark_chars(pairs: Mapping[str, str], straight: Iterable[str] = ()) -> str:
    """Every mark of ``pairs`` (openers and closers, in order) and of ``straight``, as one string.

    Args:
        pairs: opening → closing marks (:data:`QUOTE_PAIRS`, :data:`TITLE_PAIRS` or a merge).
        straight: marks that open and close alike (some of :data:`STRAIGHT_QUOTES`).

    Returns:
        The marks, each once: ``mark_chars(QUOTE_PAIRS)`` is ``"“”‘’「」『』"``.
    """
    chars = [c for pair in pairs.items() for c in pair] + list(straight)
    return "".join(dict.fromkeys(chars))


def mark_class(chars: str) -> str:
    """A regex character class matching any of ``chars`` (escaped): ``mark_class("“”")`` is ``[“”]``."""
    return "[" + "".join(re.escape(c) for c in chars) + "]"


def quotation_pattern(pairs: Mapping[str, str], straight: Iterable[str] = (), max_inside: int = 0) -> re.Pattern[str]:
    """A regex matching one quotation on one line: an opening mark, 1…``max_inside`` characters
    holding neither of its two marks nor a line break, and its closing mark.

    Args:
        pairs: opening → closing marks to match.
        straight: marks that open and close alike (``'"'`` gives ``"…"``).
        max_inside: most characters between the marks (≥ 1).

    Raises:
        ValueError: ``max_inside`` < 1.
    """
    if max_inside < 1:
        raise ValueError(f"max_inside must be at least 1, not {max_inside}")
    alternatives = [(o, c) for o, c in pairs.items()] + [(s, s) for s in straight]
    return re.compile("|".join(
        f"{re.escape(o)}[^{re.escape(o)}{re.escape(c) if c != o else ''}\\n]{{1,{max_inside}}}{re.escape(c)}"
        for o, c in alternatives
    ))
