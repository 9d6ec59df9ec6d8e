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
from drafter.guard.name_tokens import (
    COMMON_FREQ,
    HAN_WORD,
    NUMERAL_START,
    PROPER_FLAGS,
    VERBISH_END,
    NamePatterns,
    Tok,
    is_nameish,
    is_proper,
    mask_label,
    name_key,
    patterns,
    stem_ok,
    suffix_of,
    tokens,
    word_freq,
)
from drafter.text.textutil import HAN_CLASS

__all__ = ["NameSpan", "extract_names", "find_stale_names", "mask_names", "name_key"]

KIND_LABELS = {
    "village": "village", "town": "town", "county": "county/city", "enterprise": "enterprise",
    "project": "programme or project", "person": "person", "place": "place", "organisation": "organisation",
    "other": "proper name",
}
"""Kinds of :class:`NameSpan`, with how findings name them."""

_NOMINAL_FLAGS = frozenset({"n", "ng", "ns", "nr", "nrt", "nrfg", "nz", "nt", "j", "zg", "s"})
_QUOTED = re.compile(r"[“\"「『‘]([^”\"」』’“「『\n]{2,16})[”\"」』’]")
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


def _enterprise_stem(toks: list[Tok], i: int, pats: NamePatterns) -> list[Tok]:
    """玖红林果合作社: back over nouns until a proper word, then over further proper words."""
    taken: list[Tok] = []
    seen_proper = False
    j = i - 1
    while j >= 0 and sum(len(t.word) for t in taken) < 10:
        t = toks[j]
        if not HAN_WORD.match(t.word) or suffix_of(t, pats) or t.word in pats.stop_stems or NUMERAL_START.match(t.word):
            break
        if not (is_proper(t) or t.flag in _NOMINAL_FLAGS) or (seen_proper and not is_proper(t)):
            break
        taken.append(t)
        seen_proper = seen_proper or is_proper(t)
        j -= 1
    while taken and not is_proper(taken[-1]):
        taken.pop()  # the name starts at its first proper word
    return taken


def _place_stem(toks: list[Tok], i: int, stem_in: str, continued: bool, pats: NamePatterns) -> list[Tok] | None:
    """Words before token ``i`` that complete a place's stem (None: not a name)."""
    if len(stem_in) >= 2:
        return []
    prev = toks[i - 1] if i else None
    if prev is None or not HAN_WORD.match(prev.word) or prev.word in pats.stop_stems:
        return None
    if stem_in:  # 柳|塘村, 胡|刘村: a one-character stem split off by the segmenter
        ok = (len(prev.word) == 1 and prev.flag in _NOMINAL_FLAGS) or (is_proper(prev) and len(prev.word) <= 2)
        return [prev] if ok else None
    if continued:  # 发展壮大|村集体 is not a name; 海星|村民 is
        return [prev] if is_proper(prev) and prev.word not in pats.stop_names else None
    if not is_nameish(prev, pats):
        return None
    if len(prev.word) == 1:  # 蛟|塘|镇
        before = toks[i - 2] if i >= 2 else None
        if before is None or len(before.word) != 1 or not HAN_WORD.match(before.word) or before.flag not in _NOMINAL_FLAGS:
            return None
        return [prev, before]
    return [prev]


def _suffix_names(toks: list[Tok], text: str, pats: NamePatterns) -> list[NameSpan]:
    out = []
    for i, tok in enumerate(toks):
        hit = suffix_of(tok, pats)
        if hit is None:
            continue
        suffix, kind, at_end = hit
        stem_in = tok.word[: -len(suffix)] if at_end else ""
        end = tok.end if at_end else tok.start + len(suffix)
        if stem_in and tok.known:
            freq = word_freq(tok.word)
            if not (tok.flag in ("ns", "nr", "nrt", "nt") and freq < COMMON_FREQ or tok.flag == "n" and freq <= 3):
                continue  # a common word that ends like a name: 农村, 城市, 景区, 行政村 (not 双岭村, 团结村)
        if stem_in and not tok.known and (tok.flag not in PROPER_FLAGS or stem_in.endswith(VERBISH_END)):
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
        if name in pats.stop_names or not stem_ok(stem, pats) or (len(name) > 2 and tail in pats.stop_names and tail not in pats.suffix_set):
            continue
        out.append(NameSpan(name, start, end, kind, True, mask_label(kind, suffix)))
    return out


def _programme_names(text: str, pats: NamePatterns) -> list[NameSpan]:
    out = []
    for m in _QUOTED.finditer(text):
        content = m.group(1).strip()
        after = text[m.end() : m.end() + 8]
        if not HAN_WORD.match(content) or content in pats.programme_stop:
            continue
        named = content.endswith(pats.programme_words) or any(
            re.match(rf"[{HAN_CLASS}]{{0,4}}?{re.escape(w)}", after) for w in pats.programme_words
        )
        if named:
            out.append(NameSpan(content, m.start(1), m.start(1) + len(content), "project", True, "某某"))
    return out


def _tag_names(toks: list[Tok], pats: NamePatterns) -> list[NameSpan]:
    out = []
    for i, tok in enumerate(toks):
        w = tok.word
        if not HAN_WORD.match(w) or w in pats.stop_names:
            continue
        prev = toks[i - 1].word if i else ""
        nxt = toks[i + 1].word if i + 1 < len(toks) else ""
        if tok.flag in ("nr", "nrt", "nrfg") and 2 <= len(w) <= 3 and (prev.endswith(pats.titles) or nxt == "同志"):
            out.append(NameSpan(w, tok.start, tok.end, "person", True, "某某"))
            continue
        if tok.known or tok.flag not in ("ns", "nt", "nz") or len(w) < 2 or NUMERAL_START.match(w):
            continue
        if re.search(r"[村镇乡县区市屯]", w):
            continue  # 镇村, 驻市: fragments of common words; real ones have a suffix (above)
        kind = {"ns": "place", "nt": "organisation"}.get(tok.flag, "other")
        out.append(NameSpan(w, tok.start, tok.end, kind, False, mask_label(kind, "")))
    return out


def _enumerated_names(toks: list[Tok], text: str, pats: NamePatterns) -> list[NameSpan]:
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
                trail: list[Tok] = []
                for t in reversed(inner):
                    if not (is_proper(t) and t.start >= a):
                        break
                    trail.append(t)
                if not trail:
                    continue
                a, inner = trail[-1].start, trail[::-1]
            if inner and inner[0].start >= a and inner[-1].end <= b and any(is_proper(t) for t in inner) \
                    and text[a:b] not in pats.stop_names and 2 <= b - a <= 8:
                out.append(NameSpan(text[a:b], a, b, "enterprise", True, "某企业"))
    return out


@functools.lru_cache(maxsize=512)
def _extract(text: str) -> tuple[NameSpan, ...]:
    folded = fold_text(text)
    pats = patterns()
    toks = tokens(folded)
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
