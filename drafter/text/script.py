"""Script (traditional/simplified) handling with OpenCC.

Drafter indexes, searches and prompts in simplified Chinese and converts at the
end. Text written with Taiwan-style wording (專案 for 项目, 資料 for 数据) is
normalised with OpenCC's ``tw2sp`` profile, which converts both characters and
phrases; plain traditional text goes through ``t2s``. The original text is
always kept beside the normalised one.
"""

from __future__ import annotations

import functools
import re

import opencc

@functools.lru_cache(maxsize=4)
def _converter(profile: str) -> opencc.OpenCC:
    # opencc (the official binding) takes the profile name with ".json"
    return opencc.OpenCC(profile if profile.endswith(".json") else f"{profile}.json")


def to_simplified(text: str, taiwan: bool = True) -> str:
    """Convert text to simplified Chinese.

    Args:
        text: any Chinese text.
        taiwan: also undo Taiwan-style wording (OpenCC ``tw2sp``: 專案→项目,
            資料→数据, 最佳化→优化). Safe on mainland traditional text too.

    Returns:
        The simplified text; same length is not guaranteed (phrases change).
    """
    if not text:
        return text
    return _converter("tw2sp" if taiwan else "t2s").convert(text)


def to_simplified_script(text: str) -> str:
    """Simplified characters only (OpenCC ``tw2s``: Taiwan variants 著力 → 着力 too), never other words.

    What the model is shown of a past passage: ``tw2sp`` would also rewrite vocabulary
    (新增 → 添加, 專案 → 项目), and a model copies what it is shown.
    """
    if not text:
        return text
    return _converter("tw2s").convert(text)


def to_traditional(text: str) -> str:
    """Convert simplified text to traditional Chinese (OpenCC ``s2t``, mainland usage)."""
    if not text:
        return text
    return _converter("s2t").convert(text)


def to_simplified_chars(text: str) -> str:
    """Character-level t2s conversion that keeps the string length.

    Used where character offsets must survive (the quantity extractor, the
    checker). Phrase-level conversion is not applied.
    """
    if not text:
        return text
    out = _converter("t2s").convert(text)
    if len(out) == len(text):
        return out
    # Rare: a phrase conversion changed the length; fall back per character.
    conv = _converter("t2s")
    return "".join(conv.convert(ch) if len(conv.convert(ch)) == 1 else ch for ch in text)


def detect_script(text: str) -> str:
    """Return ``"traditional"``, ``"simplified"`` or ``"unknown"`` for a text.

    Counts the characters OpenCC's ``t2s`` would change (traditional-only) and
    those ``s2t`` would change (simplified-only); the larger count wins.
    """
    trad = len(traditional_chars(text))
    simp = len(simplified_chars(text))
    if trad == simp == 0:
        return "unknown"
    return "traditional" if trad > simp else "simplified"


def simplified_chars(text: str) -> list[str]:
    """Characters of ``text`` that s2t would change (i.e. simplified-only ones)."""
    conv = _converter("s2t").convert(text)
    if len(conv) != len(text):
        return [ch for ch in text if _converter("s2t").convert(ch) != ch]
    return [a for a, b in zip(text, conv) if a != b]


def simplified_only_chars(text: str) -> list[str]:
    """Characters of ``text`` that no traditional text would have, read in context.

    A character counts when OpenCC's ``t2s`` leaves it as it is, ``s2t``
    changes it on its own, and both ``s2t`` (mainland traditional) and
    ``s2tw`` (Taiwan standard) change it in its phrase. That keeps the variants
    both standards accept (群/羣, 核/覈, 峰/峯, 吃/喫, 若干, 竹溪) out, so a real
    traditional report reads as one script.
    """
    if not text:
        return []
    t2s = to_simplified_chars(text)
    out = []
    for profile in ("s2t", "s2tw"):
        conv = _converter(profile).convert(text)
        if len(conv) != len(text):
            conv = "".join(_converter(profile).convert(ch) if len(_converter(profile).convert(ch)) == 1 else ch for ch in text)
        out.append({i for i, (a, b) in enumerate(zip(text, conv)) if a != b})
    s2t = _converter("s2t")
    return [text[i] for i in sorted(out[0] & out[1]) if t2s[i] == text[i] and s2t.convert(text[i]) != text[i]]


def traditional_chars(text: str) -> list[str]:
    """Characters of ``text`` that t2s would change (i.e. traditional-only ones)."""
    conv = to_simplified_chars(text)
    return [a for a, b in zip(text, conv) if a != b]


_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Script-normalised form used for lexical search and comparisons.

    Simplified script (tw2sp), full-width ASCII folded to half-width, whitespace
    collapsed.
    """
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    return _WS.sub(" ", to_simplified(text)).strip()
