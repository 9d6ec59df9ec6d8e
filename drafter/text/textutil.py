"""Small text helpers shared by the drafting engine and the guards.

One definition each of: the Han-character class, the sentence splitter and the
jieba set-up (loaded lazily, logging quietened), so every part of Drafter counts
characters and cuts sentences the same way.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator

HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
"""Han characters: CJK Unified Ideographs, Extension A and the compatibility block."""
HAN = re.compile(f"[{HAN_CLASS}]")

SENTENCE_END = "。！？；!?;"
"""Marks that end a sentence (the genre treats ； in enumerations as a sentence end too)."""
_SENT = re.compile(rf"[^{SENTENCE_END}\n]*(?:[{SENTENCE_END}][”」』\"’]?|\n|$)")
_SENT_ACROSS_LINES = re.compile(rf"[^{SENTENCE_END}]*(?:[{SENTENCE_END}][”」』\"’]?|$)")


def han(text: str) -> list[str]:
    """The Han characters of ``text``, in order."""
    return HAN.findall(text)


def han_count(text: str) -> int:
    """Number of Han characters in ``text`` (the genre's measure of length)."""
    return len(HAN.findall(text))


def sentences(text: str, lines: bool = True) -> Iterator[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences of ``text``.

    A sentence ends after 。！？； (and their ASCII forms), with a closing quote
    that follows, or at a line break (with ``lines=False``, a line break does not end
    one: a model's reply wrapped over lines). Spans cover non-blank text only.
    """
    for m in (_SENT if lines else _SENT_ACROSS_LINES).finditer(text):
        a, b = m.start(), m.end()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            yield a, b


@functools.lru_cache(maxsize=1)
def jieba():  # -> module
    """The jieba module, initialised once with its logging quietened."""
    import jieba as _jieba

    _jieba.setLogLevel(logging.WARNING)
    _jieba.initialize()
    return _jieba


def words(text: str) -> list[tuple[str, int, int]]:
    """jieba words of ``text`` with their spans: ``[(word, start, end), ...]``."""
    out = []
    pos = 0
    for w in jieba().lcut(text):
        out.append((w, pos, pos + len(w)))
        pos += len(w)
    return out
