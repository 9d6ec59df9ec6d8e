"""Cleaning of corpus text before it is split into reports, sections and chunks.

Reports in a corpus are often copied from essay sites or exported from PDFs,
and carry things that are not the organisation's voice:

* **site boilerplate**: an introduction such as 「以下是小编收集整理的……，希望对
  大家有所帮助。」 and a footer (「最近访问」, 「相关推荐」, 「热门文章」 with
  link lines), page numbers and copyright notes;
* **page breaks inside paragraphs**: a line that ends mid-sentence, a blank
  line, then the rest of the sentence;
* **footnote markers**: 「9」 after a quoted term, a stray marker line,
  superscript digits glued after a word.

All patterns live in ``drafter/data/boilerplate.yaml`` (data, extendable) and
are matched on the character-level simplified form of a line
(:func:`drafter.text.script.to_simplified_chars`), so they work for both scripts.

Anonymisation placeholders (xx市, 20xx年, x.xx万, XX县) are kept in the text;
:func:`find_placeholders` reports their spans so that nothing downstream counts
them as figures.

The 公文 heading markers (一、 / （一） / 1. 1、 / （1） / ①) are defined here
too (:func:`heading_marker`), because joining broken paragraphs must never glue
a heading to its neighbours; :mod:`drafter.corpus.reports` builds sections from them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import yaml

from drafter.errors import ConfigError
from drafter.text.script import to_simplified_chars
from drafter.data import read_text

# --- heading markers -----------------------------------------------------------

_CN_NUM = "一二三四五六七八九十"
_HEADING_RES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^[{_CN_NUM}]{{1,3}}\s*[、．.，,]\s*")),
    (2, re.compile(rf"^[（(]\s*[{_CN_NUM}]{{1,3}}\s*[）)]\s*[、.．]?\s*")),
    (3, re.compile(r"^[0-9０-９]{1,2}\s*[、．.](?![0-9０-９])\s*")),
    (4, re.compile(r"^[（(]\s*[0-9０-９]{1,2}\s*[）)]\s*[、.．]?\s*")),
    (5, re.compile(r"^[①-⑳⑴-⒇❶-❿]\s*[、.．]?\s*")),
)
"""公文 heading levels by marker: 1 一、, 2 （一）, 3 1. / 1、, 4 （1）, 5 ①.

Source: GB/T 9704-2012 《党政机关公文格式》 7.3.3 (结构层次序数 "一、" "（一）"
"1." "（1）"), extended with the common variants 1、, half-width brackets and
circled numbers.
"""

ENUMERATION_RE = re.compile(rf"(?:^|(?<=[。；;！!？?\s：:]))(?:[{_CN_NUM}]{{1,3}}是|第[{_CN_NUM}]{{1,3}}[，,、])")
"""In-paragraph enumeration 一是…二是… (and 第一，…): kept inside a section's
text, but chunk boundaries prefer to fall right before such a start."""


def heading_marker(line: str) -> tuple[int, int] | None:
    """Find a 公文 heading marker at the start of a line.

    Args:
        line: one paragraph, already stripped of surrounding whitespace.

    Returns:
        ``(level, end)`` where ``level`` is 1–5 (一、 / （一） / 1. / （1） / ①)
        and ``end`` the offset right after the marker and following spaces, or
        ``None`` when the line does not start with a marker. ``1.5万亩`` is a
        number, not a marker; ``一是`` is an enumeration, not a marker.
    """
    for level, rx in _HEADING_RES:
        m = rx.match(line)
        if m:
            return level, m.end()
    return None


# --- patterns from data ---------------------------------------------------------


@dataclass(frozen=True)
class Patterns:
    """Compiled patterns of ``drafter/data/boilerplate.yaml``.

    Attributes:
        intro: a paragraph matching any of these is dropped.
        trailer: a line matching this starts the site footer.
        lines: single lines dropped anywhere.
        footnotes: in-line footnote markers, deleted.
        placeholders: anonymisation placeholders, kept and reported.
    """

    intro: tuple[re.Pattern[str], ...]
    trailer: re.Pattern[str]
    lines: tuple[re.Pattern[str], ...]
    footnotes: re.Pattern[str]
    placeholders: re.Pattern[str]


@functools.lru_cache(maxsize=1)
def patterns() -> Patterns:
    """Load and compile ``drafter/data/boilerplate.yaml`` (cached).

    Raises:
        ConfigError: the file is missing a list or holds an invalid regex.
    """
    raw = read_text("boilerplate.yaml")
    data = yaml.safe_load(raw) or {}
    try:
        words = [str(w) for w in data["trailer"]]
        return Patterns(
            intro=tuple(re.compile(p) for p in data["intro"]),
            trailer=re.compile(r"^(?:" + "|".join(words) + r")(?:\s*[:：].{0,60})?$"),
            lines=tuple(re.compile(p) for p in data["lines"]),
            footnotes=re.compile("|".join(f"(?:{p})" for p in data["footnote_markers"])),
            placeholders=re.compile("|".join(f"(?:{p})" for p in data["placeholders"])),
        )
    except (KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"drafter/data/boilerplate.yaml is malformed: {exc!r}.") from exc


# --- line-level cleaning ---------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009]+")


def split_lines(text: str) -> list[str]:
    """Split text into stripped lines; blank lines are kept as ``""``.

    Newlines are normalised (``\\r\\n``, ``\\r``, U+2028/2029, form feeds),
    invisible characters (BOM, zero-width space, soft hyphen) are removed and
    runs of spaces inside a line collapsed to one space (tabs, which separate
    table cells, are kept).
    """
    text = text.translate(_INVISIBLE)
    text = re.sub(r"\r\n?|[\u2028\u2029\f\v\x1c\x1d\x1e\x85]", "\n", text)
    out = []
    for line in text.split("\n"):
        cells = [_SPACES.sub(" ", c).strip() for c in line.split("\t")]
        out.append("\t".join(c for c in cells if c) if len(cells) > 1 else cells[0])
    return out


def drop_footnote_markers(line: str) -> str:
    """Delete footnote markers inside a line (「9」, [3], ［3］, ², “两山”1，).

    Args:
        line: one line of text, either script.

    Returns:
        The line without the markers (patterns: ``footnote_markers`` in
        ``boilerplate.yaml``).
    """
    return patterns().footnotes.sub("", line)


def _is_link_like(line: str) -> bool:
    # A footer's link line: short, and no sentence ends inside it.
    return len(line) <= 60 and not re.search(r"[。！？!?].", line)


def remove_boilerplate(lines: list[str]) -> list[str]:
    """Drop site introductions, footers and page furniture from a list of lines.

    Rules (patterns in ``drafter/data/boilerplate.yaml``):

    * a line matching an ``intro`` pattern is dropped whole;
    * a line matching a ``trailer`` word (最近访问, 相关推荐, 热门文章 …, alone or
      followed by a colon and links) is dropped with the blank or link-like
      lines (≤ 60 characters, no sentence end inside) that follow it, up to the
      first line of prose;
    * a line matching a ``lines`` pattern (page numbers, 第3页 共8页, a stray
      footnote marker, copyright notes) is dropped.

    Args:
        lines: stripped lines as from :func:`split_lines`; ``""`` for blank.

    Returns:
        The remaining lines, blank lines kept.
    """
    pat = patterns()
    out: list[str] = []
    in_footer = False
    for line in lines:
        simp = to_simplified_chars(line)
        if in_footer:
            if not line or _is_link_like(line):
                continue
            in_footer = False
        if not line:
            out.append(line)
            continue
        if pat.trailer.match(simp):
            in_footer = True
            continue
        if any(rx.search(simp) for rx in pat.intro):
            continue
        if any(rx.search(simp) for rx in pat.lines):
            continue
        out.append(line)
    return out


def prepare_lines(text: str) -> list[str]:
    """First cleaning pass, before a text is split into reports.

    :func:`split_lines`, :func:`remove_boilerplate` and
    :func:`drop_footnote_markers`; page-broken paragraphs are *not* joined yet
    (see :func:`join_broken_lines`), because a report title must not be glued
    to the first paragraph.

    Returns:
        Stripped lines, ``""`` for blank lines.
    """
    lines = remove_boilerplate(split_lines(text))
    return [drop_footnote_markers(line).strip() if line else line for line in lines]


# --- joining paragraphs broken across pages ------------------------------------------

_TERMINAL = set("。！？!?；;：:…")
_CLOSERS = set("”」』’\"'）)】》")
_COMMAS = set("，,、")
MIN_BROKEN_LINE = 16
"""A line this long (characters) or longer that ends mid-sentence is taken as
cut by a page break; shorter unpunctuated lines are titles, signatures or
table cells and are left alone (unless they end with a comma)."""


def ends_open(line: str) -> bool:
    """True when a line ends mid-sentence (no 。！？；： at its end).

    A closing quote or bracket counts as an end only after a sentence end
    (``……。”``).
    """
    line = line.rstrip()
    if not line:
        return False
    last = line[-1]
    if last in _TERMINAL:
        return False
    if last in _CLOSERS:
        return not (len(line) > 1 and line[-2] in _TERMINAL)
    return True


def _has_inline_body(line: str) -> bool:
    # A heading line that goes on with body text (（一）加强领导。一是……): a
    # sentence end before its last character, or long with a comma inside.
    if re.search(r"[。；;：:！？!?]", line[:-1]):
        return True
    return len(line) >= 2 * MIN_BROKEN_LINE and re.search(r"[，,]", line) is not None


def _default_is_heading(line: str) -> bool:
    return heading_marker(line) is not None


def join_broken_lines(
    lines: Iterable[str],
    is_heading: Callable[[str], bool] | None = None,
    max_gap: int = 2,
) -> list[str]:
    """Join paragraphs that a page break cut in two; return the paragraphs.

    A paragraph is joined with the next one when all hold:

    * it ends mid-sentence (:func:`ends_open`) and is at least
      :data:`MIN_BROKEN_LINE` characters long, or ends with ，/,/、;
    * the next one is not a heading (``is_heading``); the first one is not a
      heading either, unless body text follows the heading on the same line
      (a sentence end inside it, or twice :data:`MIN_BROKEN_LINE` long with a
      comma inside);
    * neither is a table row (holds a tab);
    * at most ``max_gap`` blank lines lie between them.

    The pieces are joined without a space (a space only between two Latin
    letters or digits).

    Args:
        lines: stripped lines, ``""`` for blank ones.
        is_heading: predicate for heading lines; default: a 公文 marker
            (:func:`heading_marker`).
        max_gap: most blank lines a page break may leave.

    Returns:
        Non-empty paragraphs, in order.
    """
    is_heading = is_heading or _default_is_heading
    paras: list[str] = []
    gap = 0
    can_continue = False  # the last paragraph may be continued by the next line
    for line in lines:
        if not line:
            gap += 1
            continue
        if (
            paras
            and can_continue
            and gap <= max_gap
            and "\t" not in line
            and not is_heading(line)
        ):
            prev = paras[-1]
            sep = " " if prev[-1].isascii() and prev[-1].isalnum() and line[0].isascii() and line[0].isalnum() else ""
            paras[-1] = prev + sep + line
        else:
            paras.append(line)
        last = paras[-1]
        can_continue = (
            "\t" not in last
            and ends_open(last)
            and (len(last) >= MIN_BROKEN_LINE or last[-1] in _COMMAS)
            and (not is_heading(last) or _has_inline_body(last))
        )
        gap = 0
    return paras


def clean_text(text: str, is_heading: Callable[[str], bool] | None = None) -> str:
    """Clean one report's text: every pass of this module in order.

    :func:`prepare_lines` (boilerplate, footnote markers), then
    :func:`join_broken_lines`; paragraphs are joined with ``"\\n"``.

    Args:
        text: raw text of one report, either script.
        is_heading: see :func:`join_broken_lines`.

    Returns:
        The cleaned text, one paragraph per line, no blank lines; the script and
        wording are unchanged.
    """
    return "\n".join(join_broken_lines(prepare_lines(text), is_heading=is_heading))


# --- placeholders ------------------------------------------------------------------


def find_placeholders(text: str) -> list[tuple[int, int]]:
    """Spans of anonymisation placeholders (xx市 → ``xx``, 20xx年 → ``20xx``,
    x.xx万 → ``x.xx``, XX县, ××镇, 某某村).

    The placeholder stays in the text; a span covers the placeholder token
    only (digits written next to the x's included, the unit or 年/万 not), and
    anything inside such a span must not be read as a figure. Patterns:
    ``placeholders`` in ``boilerplate.yaml``.

    Args:
        text: any text, either script.

    Returns:
        Sorted, non-overlapping ``(start, end)`` character offsets into ``text``.
    """
    return [m.span() for m in patterns().placeholders.finditer(text) if m.end() > m.start()]
