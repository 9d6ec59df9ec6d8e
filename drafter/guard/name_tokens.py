"""The words of a text as the name finder sees them, and the name patterns it looks for.

:func:`tokens` cuts a folded text with jieba (part-of-speech tags, dictionary
frequency); :func:`patterns` reads ``drafter/data/name_patterns.yaml`` (suffixes of
villages, towns, enterprises …, programme words, titles, stop lists). The tests of one
token (:func:`is_proper`, :func:`is_nameish`, :func:`suffix_of`, :func:`stem_ok`) are
shared by the finders of :mod:`drafter.guard.names`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from drafter.data import load_yaml
from drafter.guard.numerals import fold_text
from drafter.text.textutil import HAN_CLASS
from drafter.text.textutil import jieba as jieba_module

__all__ = ["COMMON_FREQ", "HAN_WORD", "NUMERAL_START", "NamePatterns", "PROPER_FLAGS", "Tok", "VERBISH_END",
           "is_nameish", "is_proper", "mask_label", "name_key", "patterns", "stem_ok", "suffix_of", "tokens", "word_freq"]

PROPER_FLAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nz", "nt"})
HAN_WORD = re.compile(rf"^[{HAN_CLASS}]+$")
NUMERAL_START = re.compile(r"^[一二三四五六七八九十两几百千万零〇]")
VERBISH_END = tuple("强大好实细化优活稳准足齐")
_FUNCTION_START = frozenset("对于向在到将把被从由按以为与和及或等各全本该每我其此这那")
COMMON_FREQ = 1000
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Tok:
    word: str
    flag: str
    start: int
    end: int
    known: bool


@dataclass(frozen=True)
class NamePatterns:
    suffixes: tuple[tuple[str, str], ...]  # (suffix, kind), longest first
    suffix_set: frozenset[str]
    suffix_last: frozenset[str]  # last characters of the suffixes (a quick test)
    suffix_first: frozenset[str]
    needs_proper: frozenset[str]
    continuations: tuple[str, ...]
    programme_words: tuple[str, ...]
    programme_stop: frozenset[str]
    titles: tuple[str, ...]
    stop_stems: frozenset[str]
    stop_names: frozenset[str]


def name_key(text: str) -> str:
    """A name in comparable form: characters folded to simplified one by one, no whitespace."""
    return _WS.sub("", fold_text(text))


@functools.lru_cache(maxsize=1)
def patterns() -> NamePatterns:
    """The name patterns of ``drafter/data/name_patterns.yaml`` (folded to simplified)."""
    data = load_yaml("name_patterns.yaml")

    def words(key: str) -> list[str]:
        return [name_key(str(w)) for w in data.get(key) or []]

    suffixes = [(name_key(s), kind) for kind, items in data["suffixes"].items() for s in items]
    from drafter.guard.copying import set_phrases

    return NamePatterns(
        suffixes=tuple(sorted(suffixes, key=lambda p: -len(p[0]))),
        suffix_set=frozenset(s for s, _ in suffixes),
        suffix_last=frozenset(s[-1] for s, _ in suffixes),
        suffix_first=frozenset(s[0] for s, _ in suffixes),
        needs_proper=frozenset(data.get("needs_proper_stem") or []),
        continuations=tuple(words("continuations")),
        programme_words=tuple(words("programme_words")),
        programme_stop=frozenset(words("programme_stop")) | frozenset(set_phrases()),
        titles=tuple(sorted(words("person_titles"), key=len, reverse=True)),
        stop_stems=frozenset(words("stop_stems")),
        stop_names=frozenset(words("stop_names")),
    )


def _jieba():  # -> (jieba, jieba.posseg)
    import jieba.posseg as pseg

    return jieba_module(), pseg


@functools.lru_cache(maxsize=4096)
def _pieces(word: str) -> tuple[tuple[str, str], ...]:
    """jieba.posseg's words and tags for a word jieba's segmenter did not know (HMM-found)."""
    return tuple((p.word, p.flag) for p in _jieba()[1].lcut(word))


def tokens(folded: str) -> list[Tok]:
    """jieba tokens with part-of-speech tags.

    The text is cut by ``jieba.lcut`` (fast); a known word takes its
    dictionary tag, and a word found by the HMM (not in the dictionary) is cut
    and tagged again on its own by ``jieba.posseg`` — which tags unknown words
    as places (ns), persons (nr) or other names (nz). Tagging the whole text with
    ``jieba.posseg`` gives about the same tags at a fifth of the speed.
    """
    jieba, pseg = _jieba()
    tags = pseg.dt.word_tag_tab
    out, pos = [], 0
    for w in jieba.lcut(folded):
        start = pos
        pos += len(w)
        if w in tags or not HAN_WORD.match(w):
            out.append(Tok(w, tags.get(w, "x"), start, pos, w in tags))
            continue
        for piece, flag in _pieces(w):
            out.append(Tok(piece, flag, start, start + len(piece), piece in tags))
            start += len(piece)
    return out


def word_freq(word: str) -> int:
    return _jieba()[0].dt.FREQ.get(word, 0) or 0


def is_proper(tok: Tok) -> bool:
    """A word that jieba reads as a proper name.

    An unknown word tagged as a place, person or organisation (ns, nr, nz,
    nt); or a known one so tagged that is short, not common (frequency under
    1000: not 文明, 道德) and not one of the dictionary's phrase entries tagged
    nz (大力发展, frequency 3).
    """
    if not HAN_WORD.match(tok.word) or tok.flag not in PROPER_FLAGS:
        return False
    if not tok.known:
        return True
    freq = word_freq(tok.word)
    return len(tok.word) <= 3 and freq < COMMON_FREQ and not (tok.flag == "nz" and freq <= 3)


def is_nameish(tok: Tok, pats: NamePatterns) -> bool:
    """A word that can stand before 村, 镇, 县 … as a place's stem.

    A proper word (:func:`is_proper`), an unknown noun or adjective (良信屯), or a
    rarer two-character noun (草坡村, 芙蓉村, 星子镇); not a stop stem.
    """
    w = tok.word
    if not HAN_WORD.match(w) or w in pats.stop_stems or w in pats.stop_names:
        return False
    if is_proper(tok):
        return True
    if not tok.known:
        return tok.flag in ("n", "ng", "j", "a") and not w.endswith(VERBISH_END)
    return len(w) == 2 and tok.flag in ("n", "ng", "nz", "s", "j") and word_freq(w) < COMMON_FREQ


def mask_label(kind: str, suffix: str) -> str:
    if kind in ("village", "town", "county"):
        return "某" + suffix
    if kind == "enterprise":
        return "某" + (suffix if len(suffix) <= 3 and suffix not in ("有限公司", "股份公司") else "公司")
    return {"project": "某某", "person": "某某", "place": "某地", "organisation": "某单位"}.get(kind, "某某")


def suffix_of(tok: Tok, pats: NamePatterns) -> tuple[str, str, bool] | None:
    """``(suffix, kind, at_end)`` when ``tok`` ends with a suffix, or starts with one (村 / 村党)."""
    if tok.word[-1:] in pats.suffix_last:
        for suffix, kind in pats.suffixes:
            if tok.word.endswith(suffix):
                return suffix, kind, True
    if tok.word[:1] not in pats.suffix_first:
        return None
    for suffix, kind in pats.suffixes:
        rest = tok.word[len(suffix):]
        if tok.word.startswith(suffix) and rest and rest.startswith(pats.continuations):
            return suffix, kind, False
    return None


def stem_ok(stem: str, pats: NamePatterns) -> bool:
    return (len(stem) >= 2 and bool(HAN_WORD.match(stem)) and stem not in pats.stop_stems
            and not NUMERAL_START.match(stem) and stem[0] not in _FUNCTION_START)
