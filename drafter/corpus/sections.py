"""A report's text split into 公文 sections along its heading hierarchy (GB/T 9704-2012 7.3.3).

:func:`split_sections` finds the headings (一、 （一） 1. （1） ①, or a document's
heading styles) and cuts the text into :class:`Section` objects; :func:`section_kind`
names what each part of the report does (opening, work, problems, next_steps …).
:mod:`drafter.corpus.reports` uses them on every report it parses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from drafter.corpus.cleaning import heading_marker
from drafter.corpus.kinds import kind_of_heading, lexicon
from drafter.text.script import to_simplified

__all__ = ["MAX_TITLE", "SHORT_HEADING", "Section", "section_kind", "split_sections"]

MAX_TITLE = 60
"""Longest line read as a report's title; a heading line up to this long is all heading."""


@dataclass
class Section:
    """One heading of a report and its body.

    Attributes:
        heading: the heading as written, e.g. ``"（二）实施人才强镇战略，推动人才振兴。"``;
            ``""`` for the report's lead text. When a heading runs on into body
            text on the same line, only its first sentence (or the part before
            一是) is the heading.
        path: headings from the top level down to this one, e.g.
            ``["一、工作开展情况", "（二）实施人才强镇战略"]``; ``[]`` for lead text.
        kind: ``opening``, ``work``, ``problems``, ``next_steps``, ``closing``
            or ``other`` (see :func:`section_kind`).
        level: 0 lead text, 1 一、, 2 （一）, 3 1./1、, 4 （1）, 5 ①; a heading
            known only from a document's heading style gets its style level.
        text: body of this section without its subsections, cleaned, original
            script; ``""`` for a heading directly followed by a sub-heading.
        start: offset of the body in :attr:`Report.text` (characters).
        end: offset just after the body in :attr:`Report.text`.
    """

    heading: str
    path: list[str]
    kind: str
    level: int
    text: str
    start: int
    end: int


_SENT_END = re.compile(r"[。！？!?；;：:]")
_CLAUSE_END = re.compile(r"[，,]")
SHORT_HEADING = 30
"""A numbered line (1. / （1） / ①) at most this long, or whose first sentence is
at most this long and followed by more text, looks like a heading; see
:func:`split_sections`."""


def _heading_end(line: str, marker_end: int) -> int:
    """Where the heading part of a heading line ends (the rest is body)."""
    rest = line[marker_end:]
    if len(line) <= 40 and not _SENT_END.search(rest[:-1]):
        return len(line)
    cuts = []
    k = rest.find("一是", 2)  # （二）驻村帮扶持续推进一是结合……: the heading ends before 一是
    if k > 0 and marker_end + k <= 40:
        cuts.append(marker_end + k)
    m = _SENT_END.search(rest)
    if m and marker_end + m.end() <= 60:
        cuts.append(marker_end + m.end())
    if cuts:
        return min(cuts)
    m = _CLAUSE_END.search(rest)
    if m and marker_end + m.end() <= 40:
        return marker_end + m.end()
    return len(line) if len(line) <= MAX_TITLE else marker_end


def _looks_like_heading(line: str, marker_end: int) -> bool:
    if len(line) <= SHORT_HEADING:
        return True
    m = _SENT_END.search(line, marker_end)
    return bool(m and m.end() <= SHORT_HEADING and line[m.end() :].strip())


def _decisive(kind: str, heading: str) -> bool:
    words = lexicon().get(kind, {}).get("decisive", [])
    simp = to_simplified(heading)
    return any(w in simp for w in words)


def section_kind(heading: str, inherited: str | None) -> str:
    """Kind of a section from its heading and the kind of its parent.

    The heading's own kind comes from :func:`drafter.corpus.kinds.kind_of_heading`
    (lexicon ``drafter/data/section_kinds.yaml``). A top-level section (no
    parent) takes it. A sub-section inherits its parent's kind, unless the
    parent's kind is ``other`` (then its own kind, when it has one, wins) or its
    heading holds one of its own kind's ``decisive`` keywords (（三）存在的不足
    under a work heading is ``problems``; （三）加强基础设施建设 under 下步工作
    打算 stays ``next_steps``).

    Args:
        heading: the heading as written, either script.
        inherited: the parent section's kind, ``None`` at the top level.

    Returns:
        One of :data:`drafter.corpus.kinds.KINDS`.
    """
    own = kind_of_heading(heading, default="other")
    if inherited is None:
        return own
    if own == "other" or own == inherited:
        return inherited
    if inherited == "other" or _decisive(own, heading):
        return own
    return inherited


def split_sections(text: str, headings: Mapping[str, int] | None = None) -> list[Section]:
    """Split a report's cleaned text into sections along its headings.

    Heading lines: a 公文 marker (:func:`drafter.corpus.cleaning.heading_marker`) or a
    line in ``headings``. 一、 and （一） lines are always headings. Numbered
    lines of levels 3–5 (1. / （1） / ①) are headings only when most of their
    siblings (same level, same parent) look like headings (short, or a short
    first sentence followed by text); otherwise they are list items and stay in
    the body (「1、春节前慰问贫困户……」). A heading line that runs on into
    body text is cut after its first sentence, before 一是, or after its first
    clause (see ``_heading_end``).

    Args:
        text: cleaned report text, one paragraph per line.
        headings: known heading lines (text → level) from the document.

    Returns:
        Sections in order: the lead text (level 0, kind ``opening``) when there
        is text before the first heading, then one per heading.
    """
    headings = headings or {}
    paras: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        paras.append((pos, line))
        pos += len(line) + 1

    # Candidates: (paragraph index, level, marker end)
    cands: list[tuple[int, int, int]] = []
    for idx, (_, line) in enumerate(paras):
        mk = heading_marker(line)
        if mk:
            cands.append((idx, mk[0], mk[1]))
        elif line in headings:
            cands.append((idx, max(1, min(5, headings[line])), 0))
    # Vote on numbered items (levels 3-5) per sibling group.
    groups: dict[tuple[int, int], list[int]] = {}
    last_at_level: dict[int, int] = {}
    for ci, (idx, level, mend) in enumerate(cands):
        anchor = max((last_at_level[lv] for lv in last_at_level if lv < level), default=-1)
        if level >= 3 and mend > 0:
            groups.setdefault((level, anchor), []).append(ci)
        last_at_level[level] = ci
        for lv in [lv for lv in last_at_level if lv > level]:
            del last_at_level[lv]
    rejected: set[int] = set()
    for members in groups.values():
        votes = sum(_looks_like_heading(paras[cands[ci][0]][1], cands[ci][2]) for ci in members)
        if votes * 2 <= len(members):
            rejected.update(members)
    heads = {cands[ci][0]: cands[ci] for ci in range(len(cands)) if ci not in rejected}

    sections: list[Section] = []
    stack: list[tuple[int, str, str]] = []  # (level, heading, kind)
    body_start: int | None = None
    body_end: int | None = None
    current: dict | None = {"heading": "", "path": [], "kind": "opening", "level": 0}

    def close() -> None:
        if current is None:
            return
        if body_start is None:
            if current["level"] == 0:
                return
            start = end = current["hend"]
        else:
            start, end = body_start, body_end
        sections.append(Section(text=text[start:end], start=start, end=end, **{k: current[k] for k in ("heading", "path", "kind", "level")}))

    for idx, (off, line) in enumerate(paras):
        if idx in heads:
            close()
            _, level, mend = heads[idx]
            hend = _heading_end(line, mend) if mend else len(line)
            heading = line[:hend].rstrip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            kind = section_kind(heading, stack[-1][2] if stack else None)
            path = [h for _, h, _ in stack] + [heading]
            stack.append((level, heading, kind))
            current = {"heading": heading, "path": path, "kind": kind, "level": level, "hend": off + hend}
            body_start = body_end = None
            rest = line[hend:]
            if rest.strip():
                body_start = off + hend + (len(rest) - len(rest.lstrip()))
                body_end = off + len(line.rstrip())
            continue
        if not line.strip():
            continue
        if body_start is None:
            body_start = off + (len(line) - len(line.lstrip()))
        body_end = off + len(line.rstrip())
    close()
    return sections
