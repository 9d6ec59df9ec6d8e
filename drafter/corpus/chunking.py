"""Splitting reports into token-bounded, sentence-aware chunks.

A chunk lies inside one section's body (never across two sections, never in a
heading) and holds whole sentences where it can. Boundaries are chosen, best
first, at a paragraph break, before an enumeration item (一是…二是…), or after
a sentence end (。！？；); a sentence longer than ``max_tokens`` is split after
a clause mark (，、：) and, as a last resort, at a token boundary. No boundary
ever falls inside a protected span:

* a number with what follows it: digits with decimal points, thousands
  separators and ranges (``12.6``, ``1,200``, ``4-5``, ``3至5``), then ``%``/``‰``
  and up to two Chinese characters (its unit: 公里, 万元, 人次);
* an anonymisation placeholder (``20xx``, ``x.xx``) with the same tail;
* a quotation or title in matched marks (“…”, 「…」, 『…』, ‘…’, 《…》) within
  a paragraph; only a quotation that alone is longer than ``max_tokens`` is
  cut, after a sentence or clause mark inside it where possible.

The only case where a chunk may exceed ``max_tokens`` is a single number or
placeholder that is itself longer.

Token counts use :func:`drafter.text.tokens.count_tokens` (cl100k_base, offline).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from drafter.corpus.chunk import Chunk
from drafter.corpus.cleaning import ENUMERATION_RE, find_placeholders
from drafter.corpus.reports import Report
from drafter.text.script import normalise, to_simplified
from drafter.text.tokens import count_tokens, encoding
from drafter.text.textutil import HAN_CLASS
from drafter.text.punctuation import QUOTE_PAIRS


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def report_id(report: Report) -> str:
    """Stable id of a report: sha256 of (source, position, title), 32 hex digits."""
    return _sha(report.source, str(report.position), report.title)


def chunk_report(report: Report, max_tokens: int = 256, min_tokens: int = 32) -> list[Chunk]:
    """Split a report into chunks, section by section.

    Args:
        report: a parsed report (:func:`drafter.corpus.reports.parse_text`).
        max_tokens: most cl100k tokens per chunk (≥ 8).
        min_tokens: a chunk smaller than this is merged into its neighbour in
            the same section when the two fit in ``max_tokens``; a section
            shorter than this is still one chunk.

    Returns:
        The chunks in reading order; sections with an empty body give none.

    Raises:
        ValueError: ``max_tokens`` < 8 or ``min_tokens`` > ``max_tokens``.
    """
    _check_limits(max_tokens, min_tokens)
    rid = report_id(report)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for section in report.sections:
        if not section.text.strip():
            continue
        path_s = to_simplified(" > ".join(section.path))
        for s, e in split_spans(section.text, max_tokens, min_tokens):
            start, end = section.start + s, section.start + e
            text = report.text[start:end]
            key = _sha(report.source, report.title, "\x1e".join(section.path), text)
            seen[key] = seen.get(key, 0) + 1
            cid = key if seen[key] == 1 else _sha(report.source, report.title, "\x1e".join(section.path), text, f"#{seen[key]}")
            simp = " ".join(to_simplified(text).split())
            chunks.append(
                Chunk(
                    id=cid,
                    text=text,
                    norm_text=normalise(text),
                    embed_text=f"{path_s} {simp}" if path_s else simp,
                    report_id=rid,
                    report_title=report.title,
                    year=report.year,
                    source=report.source,
                    position=report.position,
                    section_path=list(section.path),
                    section_kind=section.kind,
                    chunk_index=len(chunks),
                    start=start,
                    end=end,
                )
            )
    return chunks


def _check_limits(max_tokens: int, min_tokens: int) -> None:
    if max_tokens < 8:
        raise ValueError(f"max_tokens must be at least 8, got {max_tokens}")
    if min_tokens > max_tokens:
        raise ValueError(f"min_tokens ({min_tokens}) must not exceed max_tokens ({max_tokens})")


# --- protected spans -------------------------------------------------------------------

_NUMBER = re.compile(
    r"\d+(?:[.．,，:：]\d+)*(?:[ \t]*[-~～—–至到][ \t]*\d+(?:[.．]\d+)*)?(?:[%％‰℃])?[" + HAN_CLASS + "]{0,2}"
)
_UNIT_TAIL = re.compile(f"[{HAN_CLASS}]{{0,2}}")
_QUOTES = {**QUOTE_PAIRS, "《": "》"}
"""Marks whose span is protected (:mod:`drafter.text.punctuation`): 引号 and the outer 书名号. Not the
inner 〈〉, which stands inside 《》 (already protected), nor straight marks, which cannot be paired."""
_CLOSE_TO_OPEN = {v: k for k, v in _QUOTES.items()}


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Spans a chunk boundary must not fall strictly inside (see module doc).

    Args:
        text: one section body.

    Returns:
        ``(start, end)`` offsets, possibly overlapping, unordered.
    """
    spans = [m.span() for m in _NUMBER.finditer(text)]
    for s, e in find_placeholders(text):
        spans.append((s, _UNIT_TAIL.match(text, e).end()))
    # Matched quotation marks, per paragraph; unmatched marks are ignored.
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if ch == "\n":
            stack.clear()
        elif ch in _QUOTES:
            stack.append((ch, i))
        elif ch in _CLOSE_TO_OPEN:
            opener = _CLOSE_TO_OPEN[ch]
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == opener:
                    spans.append((stack[k][1], i + 1))
                    del stack[k:]
                    break
    return spans


# --- splitting ----------------------------------------------------------------------------

_SENT = re.compile(r"[。！？!?；;]+[”」』’）)]*|…{1,2}[”」』’）)]*(?=\s|$)")
_CLAUSE = re.compile(r"[，,、：:]")
_ENUM_START = re.compile(r"\s*(?:[一二三四五六七八九十]{1,3}是|第[一二三四五六七八九十]{1,3}[，,、])")
_MARKS = frozenset("。！？!?；;，,、：:")
_FREE, _QUOTED, _NUMERIC = 0, 1, 2
"""Protection of a boundary: none; inside a quotation (cut only when the
quotation alone is over ``max_tokens``); inside a number (never cut)."""
_PARA, _ENUM, _SENTENCE, _CLAUSE_CUT, _HARD = 4, 3, 2, 1, 0
"""Scores of a boundary: paragraph > before 一是 > sentence > clause > token."""


def split_spans(text: str, max_tokens: int = 256, min_tokens: int = 32) -> list[tuple[int, int]]:
    """Split one section body into chunk spans.

    Args:
        text: the body text (paragraphs separated by ``"\\n"``).
        max_tokens: most tokens per chunk.
        min_tokens: smaller chunks are merged with a neighbour when they fit.

    Returns:
        ``(start, end)`` offsets in ``text``, in order, not overlapping, each
        trimmed of surrounding whitespace; together they cover every
        non-whitespace character of ``text``. No boundary falls inside a
        protected span (:func:`protected_spans`).

    Raises:
        ValueError: ``max_tokens`` < 8 or ``min_tokens`` > ``max_tokens``.
    """
    _check_limits(max_tokens, min_tokens)
    if not text.strip():
        return []
    return _Splitter(text, max_tokens, min_tokens).spans()


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    score: int  # score of the boundary before this unit


class _Splitter:
    """Splits one text: units (sentences, or clauses/token pieces of long
    sentences), packed greedily into chunks, small chunks merged."""

    def __init__(self, text: str, max_tokens: int, min_tokens: int) -> None:
        self.text = text
        self.max = max_tokens
        self.min = min_tokens
        self._counts: dict[tuple[int, int], int] = {}
        # protection of the boundary before each offset: free, quoted, number
        self.mask = bytearray(len(text) + 1)
        for s, e in protected_spans(text):
            level = _QUOTED if text[s] in _QUOTES else _NUMERIC
            for i in range(s + 1, e):
                self.mask[i] = max(self.mask[i], level)

    def tokens(self, s: int, e: int) -> int:
        key = (s, e)
        n = self._counts.get(key)
        if n is None:
            n = self._counts[key] = count_tokens(self.text[s:e])
        return n

    def spans(self) -> list[tuple[int, int]]:
        units = self.units()
        groups = self.merge_small(units, self.pack(units))
        out = []
        for i, j in groups:
            s, e = _trim(self.text, units[i].start, units[j - 1].end)
            if e > s:
                out.append((s, e))
        return out

    # units ------------------------------------------------------------------

    def boundaries(self) -> dict[int, int]:
        text, mask = self.text, self.mask
        cuts: dict[int, int] = {}
        for m in _SENT.finditer(text):
            if not mask[m.end()]:
                cuts[m.end()] = _SENTENCE
        for m in ENUMERATION_RE.finditer(text):
            if not mask[m.start()]:
                cuts[m.start()] = _ENUM
        for i, ch in enumerate(text):
            if ch == "\n" and not mask[i + 1]:
                cuts[i + 1] = _PARA
        cuts.pop(0, None)
        cuts.pop(len(text), None)
        return cuts

    def units(self) -> list[_Unit]:
        cuts = self.boundaries()
        edges = [0, *sorted(cuts), len(self.text)]
        # An item's short lead sentence (二是规划实施“牧场小镇”旅游项目。) stays
        # with the sentence after it: drop the sentence boundary between them.
        k = 1
        while k < len(edges) - 1:
            a, b = edges[k - 1], edges[k]
            if _ENUM_START.match(self.text, a) and cuts[b] <= _SENTENCE and self.tokens(a, b) < self.min:
                del edges[k]
                continue
            k += 1
        units: list[_Unit] = []
        for a, b in zip(edges, edges[1:]):
            pieces = self.split_long(a, b)
            for k, u in enumerate(pieces):
                if k == 0:
                    u.score = cuts.get(a, _PARA)
                units.append(u)
        return units

    def split_long(self, a: int, b: int) -> list[_Unit]:
        """``text[a:b]`` as one unit, or pieces of at most ``max`` tokens cut at
        clause marks (，、：) and, failing that, at token boundaries."""
        n = self.tokens(a, b)
        if n <= self.max:
            return [_Unit(a, b, n, _CLAUSE_CUT)]
        marks = [*_SENT.finditer(self.text, a, b), *_CLAUSE.finditer(self.text, a, b)]
        cuts = sorted({m.end() for m in marks if a < m.end() < b and not self.mask[m.end()]})
        if not cuts:
            return self.hard_split(a, b)
        pieces: list[_Unit] = []
        edges = [*cuts, b]
        s = a
        for k, e in enumerate(edges):
            if e == b or self.tokens(s, edges[k + 1]) > self.max:
                n = self.tokens(s, e)
                pieces.extend([_Unit(s, e, n, _CLAUSE_CUT)] if n <= self.max else self.hard_split(s, e))
                s = e
        return pieces

    def hard_split(self, a: int, b: int) -> list[_Unit]:
        """Last resort: cut at the last token boundary within ``max`` tokens
        that is outside protected spans; inside a quotation longer than ``max``,
        after its last sentence or clause mark that fits, else at any token
        boundary; never inside a number (a number longer than ``max`` stays whole)."""
        enc = encoding()
        pieces: list[_Unit] = []
        s = a
        while s < b:
            ids = enc.encode(self.text[s:b], disallowed_special=())
            if len(ids) <= self.max:
                pieces.append(_Unit(s, b, len(ids), _HARD))
                break
            # characters wholly inside the first `max` tokens
            head = b"".join(enc.decode_tokens_bytes(ids[: self.max]))
            cut = s + len(head.decode("utf-8", errors="ignore"))
            c = self.last_cut(s, cut, _FREE) or self.last_cut(s, cut, _QUOTED, marks=True) or self.last_cut(s, cut, _QUOTED)
            if c is None:  # one number longer than max: keep it whole
                c = max(cut, s + 1)
                while c < b and self.mask[c] >= _NUMERIC:
                    c += 1
            pieces.append(_Unit(s, c, self.tokens(s, c), _HARD))
            s = c
        return pieces

    def last_cut(self, s: int, cut: int, level: int, marks: bool = False) -> int | None:
        """The last offset in ``(s, cut]`` whose protection is at most ``level``
        (and that follows a sentence or clause mark when ``marks``) and leaves
        ``text[s:offset]`` within ``max`` tokens."""
        for c in range(cut, s, -1):
            if self.mask[c] <= level and (not marks or self.text[c - 1] in _MARKS) and self.tokens(s, c) <= self.max:
                return c
        return None

    # packing -------------------------------------------------------------------

    def pack(self, units: list[_Unit]) -> list[tuple[int, int]]:
        """Greedy packing into ``(first unit, last unit + 1)`` groups; when the
        next unit does not fit, cut at the best-scored boundary that leaves the
        chunk at least half full (the latest on ties)."""
        groups: list[tuple[int, int]] = []
        i = 0
        while i < len(units):
            total, j = units[i].tokens, i + 1
            while j < len(units) and total + units[j].tokens <= self.max:
                total += units[j].tokens
                j += 1
            if j < len(units):
                best, best_key, acc = j, (-1, -1), 0
                for k in range(i + 1, j + 1):
                    acc += units[k - 1].tokens
                    if acc * 2 >= self.max:
                        key = (units[k].score, k)
                        if key > best_key:
                            best, best_key = k, key
                j = best
            groups.extend(self.fit(units, i, j))
            i = j
        return groups

    def group_tokens(self, units: list[_Unit], i: int, j: int) -> int:
        return self.tokens(units[i].start, units[j - 1].end)

    def fit(self, units: list[_Unit], i: int, j: int) -> list[tuple[int, int]]:
        """Check the exact count of units ``i..j`` joined (BPE merges across
        units may add a token); split at the best boundary when over."""
        if j - i <= 1 or self.group_tokens(units, i, j) <= self.max:
            return [(i, j)]
        k = max(range(i + 1, j), key=lambda k: (units[k].score, -abs((k - i) - (j - k))))
        return self.fit(units, i, k) + self.fit(units, k, j)

    def merge_small(self, units: list[_Unit], groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Merge a group under ``min`` tokens into a neighbour when the merged
        group fits in ``max``: across the weaker of its two boundaries first
        (the previous one on ties); across the stronger one only when that is a
        plain sentence or clause boundary, or both are equally strong, so a
        short 二是 item is not glued to the end of the 一是 item."""
        out = list(groups)
        k = 0
        while k < len(out):
            i, j = out[k]
            if len(out) > 1 and self.group_tokens(units, i, j) < self.min:
                options = []
                if k > 0:
                    options.append((units[i].score, 0, k - 1))
                if k + 1 < len(out):
                    options.append((units[out[k + 1][0]].score, 1, k))
                options.sort()
                merged = False
                for n, (score, _, at) in enumerate(options):
                    if n > 0 and score >= _ENUM and score > options[0][0]:
                        break
                    a, b = out[at][0], out[at + 1][1]
                    if self.group_tokens(units, a, b) <= self.max:
                        out[at : at + 2] = [(a, b)]
                        merged = True
                        break
                if merged:
                    k = max(0, k - 1)
                    continue
            k += 1
        return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
