"""The name guard: other places' names must not travel from old reports into a draft.

Given passages of other villages' reports, a model copies their names —
「新建海星村综治中心1处」 in a report for a different village. This module finds
proper names in a text and reports those of a draft that come from the context
passages rather than from the user's inputs.

How names are found (:func:`extract_names`), on the script-folded text
(:func:`drafter.guard.numerals.fold_text`: traditional characters become simplified
one by one, so offsets stay those of the text):

1. **A stem and a genre suffix** (``drafter/data/name_patterns.yaml``): 海星村,
   仙河镇, 盱眙县, 良信屯, 海星集团, 澳亚牧场. The stem is made of jieba tokens
   before the suffix: words jieba tags as names, words it does not know, and
   rarer nouns (草坡村); common stems (行政, 示范, 贫困, 全 …) and common nouns
   (农村, 城镇, 社区, 合作社 …) are listed as not names, and a verb before the
   suffix makes none (发展壮大|村集体经济). An enterprise suffix (公司, 集团,
   合作社 …) needs a proper word in its stem, so 劳务公司 is not a name and
   海星集团 is.
2. **A quoted programme**: “春风行动”, “九大工程”, “牧场小镇”旅游项目 (quoted text
   ending with, or followed by, 行动/工程/项目/专案/计划/品牌/小镇).
3. **An enumeration of enterprises**: 鸿星尔克、三宝、季茜等企业 (each item
   holding a word jieba tags as a name).
4. **jieba's part-of-speech tags**: a person's name (nr) right after a title
   (市委书记杨健), and a word jieba's dictionary lacks that it tags as a place,
   organisation or other proper noun (ns/nt/nz: 澳亚, 京塘). Names of this last
   kind are *weak* (tagging unknown words is guesswork); the others are *strong*.

A name of the draft is **stale** (:func:`find_stale_names`) when it is not the
user's — neither it nor, for a suffix name, its stem occurs in the allowed text
(title, organisation, period, figure names, facts and names: 黄桃合作社 is the
user's when a fact says 黄桃) — and it occurs in a context passage: a strong name
anywhere in a passage's text, a weak one only where the passage's own extraction
finds it too. A strong name of a passage is also looked for in the draft's text,
so a segmentation that differs in the draft does not hide it. Comparisons are on
the folded text, so 東灘鎮 and 东滩镇 are the same name.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass


from drafter.guard.findings import Finding
from drafter.guard.numerals import fold_text
from drafter.text.textutil import jieba as jieba_module
from drafter.data import load_yaml
from drafter.text.textutil import HAN_CLASS

__all__ = ["NameSpan", "extract_names", "find_stale_names", "mask_names", "name_key"]

KIND_LABELS = {
    "village": "village", "town": "town", "county": "county/city", "enterprise": "enterprise",
    "project": "programme or project", "person": "person", "place": "place", "organisation": "organisation",
    "other": "proper name",
}
"""Kinds of :class:`NameSpan`, with how findings name them."""

_PROPER_FLAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nz", "nt"})
_NOMINAL_FLAGS = frozenset({"n", "ng", "ns", "nr", "nrt", "nrfg", "nz", "nt", "j", "zg", "s"})
_HAN = re.compile(rf"^[{HAN_CLASS}]+$")
_NUMERAL_START = re.compile(r"^[一二三四五六七八九十两几百千万零〇]")
_VERBISH_END = tuple("强大好实细化优活稳准足齐")
_FUNCTION_START = frozenset("对于向在到将把被从由按以为与和及或等各全本该每我其此这那")
_COMMON = 1000
_QUOTED = re.compile(r"[“\"「『‘]([^”\"」』’“「『\n]{2,16})[”\"」』’]")
_WS = re.compile(r"\s+")
_ENUMERATION = re.compile(rf"((?:[{HAN_CLASS}]{{2,10}}、)+[{HAN_CLASS}]{{2,8}})等(?:企业|公司|龙头企业|品牌|厂家)")


@dataclass(frozen=True)
class NameSpan:
    """One proper name in a text.

    Attributes:
        text: the name as written (either script).
        start, end: offsets in the text (end exclusive).
        kind: village, town, county, enterprise, project, person, place,
            organisation or other (see :data:`KIND_LABELS`).
        strong: found by a genre pattern (suffix, quotes, title); False for a
            name found by jieba's tag of an unknown word alone.
        mask: what :func:`mask_names` writes instead (某村, 某镇, 某合作社 …).
    """

    text: str
    start: int
    end: int
    kind: str
    strong: bool = True
    mask: str = "某某"

    @property
    def key(self) -> str:
        """The name compared across scripts (:func:`name_key`)."""
        return name_key(self.text)


@dataclass(frozen=True)
class _Tok:
    word: str
    flag: str
    start: int
    end: int
    known: bool


@dataclass(frozen=True)
class _Patterns:
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
def patterns() -> _Patterns:
    """The name patterns of ``drafter/data/name_patterns.yaml`` (folded to simplified)."""
    data = load_yaml("name_patterns.yaml")

    def words(key: str) -> list[str]:
        return [name_key(str(w)) for w in data.get(key) or []]

    suffixes = [(name_key(s), kind) for kind, items in data["suffixes"].items() for s in items]
    from drafter.guard.copying import set_phrases

    return _Patterns(
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


def _tokens(folded: str) -> list[_Tok]:
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
        if w in tags or not _HAN.match(w):
            out.append(_Tok(w, tags.get(w, "x"), start, pos, w in tags))
            continue
        for piece, flag in _pieces(w):
            out.append(_Tok(piece, flag, start, start + len(piece), piece in tags))
            start += len(piece)
    return out


def _freq(word: str) -> int:
    return _jieba()[0].dt.FREQ.get(word, 0) or 0


def _proper(tok: _Tok) -> bool:
    """A word that jieba reads as a proper name.

    An unknown word tagged as a place, person or organisation (ns, nr, nz,
    nt); or a known one so tagged that is short, not common (frequency under
    1000: not 文明, 道德) and not one of the dictionary's phrase entries tagged
    nz (大力发展, frequency 3).
    """
    if not _HAN.match(tok.word) or tok.flag not in _PROPER_FLAGS:
        return False
    if not tok.known:
        return True
    freq = _freq(tok.word)
    return len(tok.word) <= 3 and freq < _COMMON and not (tok.flag == "nz" and freq <= 3)


def _nameish(tok: _Tok, pats: _Patterns) -> bool:
    """A word that can stand before 村, 镇, 县 … as a place's stem.

    A proper word (:func:`_proper`), an unknown noun or adjective (良信屯), or a
    rarer two-character noun (草坡村, 芙蓉村, 星子镇); not a stop stem.
    """
    w = tok.word
    if not _HAN.match(w) or w in pats.stop_stems or w in pats.stop_names:
        return False
    if _proper(tok):
        return True
    if not tok.known:
        return tok.flag in ("n", "ng", "j", "a") and not w.endswith(_VERBISH_END)
    return len(w) == 2 and tok.flag in ("n", "ng", "nz", "s", "j") and _freq(w) < _COMMON


def _mask(kind: str, suffix: str) -> str:
    if kind in ("village", "town", "county"):
        return "某" + suffix
    if kind == "enterprise":
        return "某" + (suffix if len(suffix) <= 3 and suffix not in ("有限公司", "股份公司") else "公司")
    return {"project": "某某", "person": "某某", "place": "某地", "organisation": "某单位"}.get(kind, "某某")


def _suffix_of(tok: _Tok, pats: _Patterns) -> tuple[str, str, bool] | None:
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


def _stem_ok(stem: str, pats: _Patterns) -> bool:
    return (len(stem) >= 2 and bool(_HAN.match(stem)) and stem not in pats.stop_stems
            and not _NUMERAL_START.match(stem) and stem[0] not in _FUNCTION_START)


def _enterprise_stem(toks: list[_Tok], i: int, pats: _Patterns) -> list[_Tok]:
    """玖红林果合作社: back over nouns until a proper word, then over further proper words."""
    taken: list[_Tok] = []
    seen_proper = False
    j = i - 1
    while j >= 0 and sum(len(t.word) for t in taken) < 10:
        t = toks[j]
        if not _HAN.match(t.word) or _suffix_of(t, pats) or t.word in pats.stop_stems or _NUMERAL_START.match(t.word):
            break
        if not (_proper(t) or t.flag in _NOMINAL_FLAGS) or (seen_proper and not _proper(t)):
            break
        taken.append(t)
        seen_proper = seen_proper or _proper(t)
        j -= 1
    while taken and not _proper(taken[-1]):
        taken.pop()  # the name starts at its first proper word
    return taken


def _place_stem(toks: list[_Tok], i: int, stem_in: str, continued: bool, pats: _Patterns) -> list[_Tok] | None:
    """Words before token ``i`` that complete a place's stem (None: not a name)."""
    if len(stem_in) >= 2:
        return []
    prev = toks[i - 1] if i else None
    if prev is None or not _HAN.match(prev.word) or prev.word in pats.stop_stems:
        return None
    if stem_in:  # 柳|塘村, 胡|刘村: a one-character stem split off by the segmenter
        ok = (len(prev.word) == 1 and prev.flag in _NOMINAL_FLAGS) or (_proper(prev) and len(prev.word) <= 2)
        return [prev] if ok else None
    if continued:  # 发展壮大|村集体 is not a name; 海星|村民 is
        return [prev] if _proper(prev) and prev.word not in pats.stop_names else None
    if not _nameish(prev, pats):
        return None
    if len(prev.word) == 1:  # 蛟|塘|镇
        before = toks[i - 2] if i >= 2 else None
        if before is None or len(before.word) != 1 or not _HAN.match(before.word) or before.flag not in _NOMINAL_FLAGS:
            return None
        return [prev, before]
    return [prev]


def _suffix_names(toks: list[_Tok], text: str, pats: _Patterns) -> list[NameSpan]:
    out = []
    for i, tok in enumerate(toks):
        hit = _suffix_of(tok, pats)
        if hit is None:
            continue
        suffix, kind, at_end = hit
        stem_in = tok.word[: -len(suffix)] if at_end else ""
        end = tok.end if at_end else tok.start + len(suffix)
        if stem_in and tok.known:
            freq = _freq(tok.word)
            if not (tok.flag in ("ns", "nr", "nrt", "nt") and freq < _COMMON or tok.flag == "n" and freq <= 3):
                continue  # a common word that ends like a name: 农村, 城市, 景区, 行政村 (not 双岭村, 团结村)
        if stem_in and not tok.known and (tok.flag not in _PROPER_FLAGS or stem_in.endswith(_VERBISH_END)):
            continue  # an unknown word jieba does not read as a name: 建强村, 产兴村
        if kind in pats.needs_proper:
            taken = _enterprise_stem(toks, i, pats)
            if not taken and not (stem_in and not tok.known):
                continue
        else:
            found = _place_stem(toks, i, stem_in, not at_end, pats)
            if found is None:
                continue
            taken = found
        start = taken[-1].start if taken else end - len(suffix) - len(stem_in)
        stem, name = text[start : end - len(suffix)], text[start:end]
        tail = name[-2:]
        if name in pats.stop_names or not _stem_ok(stem, pats) or (len(name) > 2 and tail in pats.stop_names and tail not in pats.suffix_set):
            continue
        out.append(NameSpan(name, start, end, kind, True, _mask(kind, suffix)))
    return out


def _programme_names(text: str, pats: _Patterns) -> list[NameSpan]:
    out = []
    for m in _QUOTED.finditer(text):
        content = m.group(1).strip()
        after = text[m.end() : m.end() + 8]
        if not _HAN.match(content) or content in pats.programme_stop:
            continue
        named = content.endswith(pats.programme_words) or any(
            re.match(rf"[{HAN_CLASS}]{{0,4}}?{re.escape(w)}", after) for w in pats.programme_words
        )
        if named:
            out.append(NameSpan(content, m.start(1), m.start(1) + len(content), "project", True, "某某"))
    return out


def _tag_names(toks: list[_Tok], pats: _Patterns) -> list[NameSpan]:
    out = []
    for i, tok in enumerate(toks):
        w = tok.word
        if not _HAN.match(w) or w in pats.stop_names:
            continue
        prev = toks[i - 1].word if i else ""
        nxt = toks[i + 1].word if i + 1 < len(toks) else ""
        if tok.flag in ("nr", "nrt", "nrfg") and 2 <= len(w) <= 3 and (prev.endswith(pats.titles) or nxt == "同志"):
            out.append(NameSpan(w, tok.start, tok.end, "person", True, "某某"))
            continue
        if tok.known or tok.flag not in ("ns", "nt", "nz") or len(w) < 2 or _NUMERAL_START.match(w):
            continue
        if re.search(r"[村镇乡县区市屯]", w):
            continue  # 镇村, 驻市: fragments of common words; real ones have a suffix (above)
        kind = {"ns": "place", "nt": "organisation"}.get(tok.flag, "other")
        out.append(NameSpan(w, tok.start, tok.end, kind, False, _mask(kind, "")))
    return out


def _enumerated_names(toks: list[_Tok], text: str, pats: _Patterns) -> list[NameSpan]:
    """鸿星尔克、三宝、季茜等企业: each item with a proper word is an enterprise's name."""
    out = []
    starts = [t.start for t in toks]
    for m in _ENUMERATION.finditer(text):
        start = m.start(1)
        for item in m.group(1).split("、"):
            a, b = start, start + len(item)
            start = b + 1
            lo = bisect.bisect_right(starts, a) - 1
            inner = [t for t in toks[max(lo, 0) : bisect.bisect_left(starts, b)] if t.end > a]
            if a == m.start(1):  # the first item: only its trailing proper words (协助园区|鸿星尔克)
                trail: list[_Tok] = []
                for t in reversed(inner):
                    if not (_proper(t) and t.start >= a):
                        break
                    trail.append(t)
                if not trail:
                    continue
                a, inner = trail[-1].start, trail[::-1]
            if inner and inner[0].start >= a and inner[-1].end <= b and any(_proper(t) for t in inner) \
                    and text[a:b] not in pats.stop_names and 2 <= b - a <= 8:
                out.append(NameSpan(text[a:b], a, b, "enterprise", True, "某企业"))
    return out


@functools.lru_cache(maxsize=512)
def _extract(text: str) -> tuple[NameSpan, ...]:
    folded = fold_text(text)
    pats = patterns()
    toks = _tokens(folded)
    found = (_programme_names(folded, pats) + _suffix_names(toks, folded, pats)
             + _enumerated_names(toks, folded, pats) + _tag_names(toks, pats))
    found.sort(key=lambda n: (n.start, -(n.end - n.start), not n.strong))
    kept: list[NameSpan] = []
    for n in found:
        if kept and n.start < kept[-1].end:
            continue  # inside (or across) a name already kept: the longer, earlier one wins
        kept.append(n)
    return tuple(NameSpan(text[n.start : n.end], n.start, n.end, n.kind, n.strong, n.mask) for n in kept)


def extract_names(text: str) -> list[NameSpan]:
    """Proper names in ``text`` (see the module docs for how they are found).

    Args:
        text: any text, either script.

    Returns:
        Names in text order, not overlapping (the longer of two overlapping wins).

    Example:
        >>> [(n.text, n.kind) for n in extract_names("实施海星村经济林项目，仙河镇人民政府牵头")]
        [('海星村', 'village'), ('仙河镇', 'town')]
    """
    return list(_extract(text))


def _allowed(key: str, allowed: str) -> bool:
    """The name is the user's: it stands in their words, or its stem does (黄桃合作社 when they wrote 黄桃)."""
    if key in allowed:
        return True
    for suffix in patterns().suffix_set:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            return key[: -len(suffix)] in allowed
    return False


def find_stale_names(draft: str, context: Sequence[str], allowed_text: str) -> list[Finding]:
    """``stale_name`` findings: names of ``draft`` taken from ``context`` and not from the user's inputs.

    Args:
        draft: the draft, either script.
        context: the passages the model saw.
        allowed_text: everything the user supplied (title, organisation,
            period, figure names, facts, names), joined; a name occurring in it
            is the user's own.

    Returns:
        One finding per occurrence of a stale name in the draft, in draft order.

    Example:
        >>> [f.text for f in find_stale_names("新建海星村综治中心。", ["海星村新建综治中心1处。"], "东滩镇")]
        ['海星村']
    """
    allowed = name_key(allowed_text)
    passages = [name_key(c) for c in context if c]
    if not passages:
        return []
    ctx_names = [n for c in context if c for n in _extract(c)]
    ctx_keys = {n.key for n in ctx_names}
    spans: dict[tuple[int, int], NameSpan] = {}
    for n in _extract(draft):
        if _allowed(n.key, allowed):
            continue
        if n.key in ctx_keys or (n.strong and any(n.key in p for p in passages)):
            spans[(n.start, n.end)] = n
    folded = fold_text(draft)
    for n in ctx_names:
        if not n.strong or _allowed(n.key, allowed):
            continue
        for m in re.finditer(re.escape(n.key), folded):
            if not any(a < m.end() and m.start() < b for a, b in spans):
                spans[(m.start(), m.end())] = NameSpan(draft[m.start() : m.end()], m.start(), m.end(), n.kind, True, n.mask)
    return [
        Finding("stale_name", n.text, n.start, n.end, None,
                f"{n.text} ({KIND_LABELS.get(n.kind, n.kind)}) is a name from the context passages, "
                "not from this report's title, organisation, facts or names; is it another place's?")
        for _, n in sorted(spans.items())
    ]


def mask_names(text: str, allowed_text: str = "") -> str:
    """Replace each name of ``text`` that is not in ``allowed_text`` with 某村, 某镇, 某单位 … by kind.

    What a model is shown of another report when names are masked: the voice
    stays, the places go.

    Example:
        >>> mask_names("仙河镇依托海星集团发展海星村集体经济。", "")
        '某镇依托某集团发展某村集体经济。'
    """
    allowed = name_key(allowed_text)
    out = text
    for n in sorted(_extract(text), key=lambda n: -n.start):
        if allowed and _allowed(n.key, allowed):
            continue
        out = out[: n.start] + n.mask + out[n.end :]
    return out
