"""Past reports as data: files split into reports, reports into 公文 sections.

A corpus file may hold one report or several (an essay site's page with
「……汇报1」 … 「……汇报11」); :func:`parse_file` reads it
(:mod:`drafter.corpus.loaders`), cleans it (:mod:`drafter.corpus.cleaning`) and returns one
:class:`Report` per report, each split into :class:`Section` objects along the
公文 heading hierarchy (GB/T 9704-2012 7.3.3)::

    一、      level 1        （一） (一)  level 2      1. 1、  level 3
    （1） (1) level 4        ①           level 5

The text before the first heading is the lead text (level 0, kind
``opening``). The in-paragraph enumeration 一是……二是…… stays inside a
section's text; the chunker prefers to split there.

Example::

    >>> from drafter.corpus.reports import parse_text
    >>> [r] = parse_text("2024年工作汇报\\n现将情况汇报如下。\\n一、工作开展情况\\n完成12.6公里。")
    >>> r.title, r.year, [(s.heading, s.kind) for s in r.sections]
    ('2024年工作汇报', 2024, [('', 'opening'), ('一、工作开展情况', 'work')])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from drafter.corpus.cleaning import (
    drop_footnote_markers,
    find_placeholders,
    heading_marker,
    join_broken_lines,
    prepare_lines,
    split_lines,
)
from drafter.corpus.loaders import Skipped, iter_files, read_document
from drafter.corpus.sections import MAX_TITLE as _MAX_TITLE
from drafter.corpus.sections import Section, split_sections
from drafter.text.script import detect_script


@dataclass
class Report:
    """One report of a corpus file.

    Attributes:
        title: the report's title line, or the file stem when it has none.
        year: the year given in the title, else in the lead text
            (``2023年``); ``None`` when absent or anonymised (``20xx年``).
        source: the file path as given.
        position: 0-based index of the report within its file.
        text: the cleaned text (title excluded), one paragraph per line,
            original script and wording.
        sections: the sections in reading order; their bodies and headings
            cover :attr:`text`.
        encoding: the file's detected encoding (see :class:`drafter.corpus.loaders.LoadedText`).
        script: ``"traditional"``, ``"simplified"`` or ``"unknown"``.
        placeholders: spans of anonymisation placeholders (xx市, 20xx年) in
            :attr:`text`; never figures.
    """

    title: str
    year: int | None
    source: str
    position: int
    text: str
    sections: list[Section]
    encoding: str
    script: str
    placeholders: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class ParsedFile:
    """What one corpus file yielded.

    Attributes:
        source: the file path as given.
        encoding: detected encoding, ``None`` when the file was skipped unread.
        reports: the reports, in file order (empty when skipped).
        skipped: the reason the file gave no reports, else ``None``.
    """

    source: str
    encoding: str | None
    reports: list[Report]
    skipped: str | None = None


# --- files ----------------------------------------------------------------------------


def parse_file(path: str | Path) -> ParsedFile:
    """Read, clean and parse one corpus file.

    Args:
        path: a file :func:`drafter.corpus.loaders.read_document` reads.

    Returns:
        A :class:`ParsedFile`; a file that cannot be read, or holds no report
        text after cleaning, has ``skipped`` set to the reason and no reports.

    Raises:
        InputError: the path does not exist or is a folder.
    """
    source = str(path)
    loaded = read_document(path)
    if isinstance(loaded, Skipped):
        return ParsedFile(source, None, [], loaded.reason)
    headings = {text: level for text, level in loaded.headings}
    reports = parse_text(loaded.text, source=source, encoding=loaded.encoding, headings=headings)
    if not reports:
        return ParsedFile(source, loaded.encoding, [], "no report text left after cleaning")
    return ParsedFile(source, loaded.encoding, reports)


def parse_paths(paths: str | Path | Iterable[str | Path]) -> Iterator[ParsedFile]:
    """Parse every file under ``paths`` (see :func:`drafter.corpus.loaders.iter_files`).

    A file that cannot be used yields a :class:`ParsedFile` with ``skipped``
    set, and parsing goes on with the next one.

    Raises:
        InputError: a given path does not exist (raised before any parsing).
    """
    for f in iter_files(paths):
        yield parse_file(f)


# --- reports --------------------------------------------------------------------------

_SENT_PUNCT = re.compile(r"[。！？!?；;，,]")
_PROSE = re.compile(r"[。！？!?；;]")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九", start=0)}
_NUMBERED_TITLE = re.compile(r"^(?P<stem>\D.*?)\s*(?P<num>[0-9]{1,3})$")
_PIECE_TITLE = re.compile(
    r"^[【\[［]?\s*(?:篇\s*(?P<a>[一二三四五六七八九十]{1,3}|[0-9]{1,3})|第\s*(?P<b>[一二三四五六七八九十]{1,3}|[0-9]{1,3})\s*篇"
    r"|(?:范文|範文|例文)\s*(?P<c>[一二三四五六七八九十]{1,3}|[0-9]{1,3}))\s*[】\]］]?\s*[:：、.．]?\s*(?P<rest>.*)$"
)


def _cn_int(s: str) -> int:
    """Value of 1–999 written in Arabic or Chinese numerals (一 … 九十九)."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(s, 0)


def is_title_like(line: str) -> bool:
    """True for a line that can be a report title: at most 60 characters, no
    公文 heading marker, and no sentence or clause punctuation (。！？；，)."""
    return 0 < len(line) <= _MAX_TITLE and not _SENT_PUNCT.search(line) and heading_marker(line) is None


def find_report_titles(lines: list[str]) -> list[tuple[int, str, int]]:
    """Find the title lines of a file holding several numbered reports.

    Two forms are recognised: a shared title with a running number
    (``乡村振兴驻村工作情况汇报1`` … ``汇报11``) and piece markers
    (``【篇一】``, ``第二篇``, ``范文3``, optionally followed by the title). The
    numbers must run 1, 2, 3 … without gaps, there must be at least two, and
    each report must hold a sentence (。！？；); the largest such series wins.

    Args:
        lines: stripped lines as from :func:`drafter.corpus.cleaning.prepare_lines`.

    Returns:
        ``(line index, title, lines used)`` per report, in order; ``lines used`` is
        2 when a bare piece marker takes its title from the next line. Empty
        when the file holds a single report.
    """
    groups: dict[str, list[tuple[int, int, str, int]]] = {}
    for i, line in enumerate(lines):
        if not line or len(line) > _MAX_TITLE or heading_marker(line) is not None:
            continue
        m = _PIECE_TITLE.match(line)
        if m:
            num = _cn_int(m.group("a") or m.group("b") or m.group("c"))
            title, used = m.group("rest").strip(), 1
            if not title:
                nxt = next((j for j in range(i + 1, min(i + 3, len(lines))) if lines[j]), None)
                if nxt is not None and is_title_like(lines[nxt]):
                    title, used = lines[nxt], nxt - i + 1
                else:
                    title = line
            groups.setdefault("\0piece", []).append((i, num, title, used))
            continue
        m = _NUMBERED_TITLE.match(line)
        if m and len(m.group("stem").strip()) >= 4 and not _SENT_PUNCT.search(line):
            groups.setdefault(m.group("stem").strip(), []).append((i, int(m.group("num")), line, 1))
    best: list[tuple[int, int, str, int]] = []
    for members in groups.values():
        if len(members) < 2 or [n for _, n, _, _ in members] != list(range(1, len(members) + 1)):
            continue
        # every report holds prose (「附件1」「附件2」 lines inside one report do not)
        ends = [i for i, _, _, _ in members[1:]] + [len(lines)]
        if all(any(_PROSE.search(line) for line in lines[i + used : end]) for (i, _, _, used), end in zip(members, ends)):
            if len(members) > len(best):
                best = members
    return [(i, title, used) for i, _, title, used in best]


def parse_text(
    text: str,
    source: str = "<text>",
    encoding: str = "utf-8",
    headings: Mapping[str, int] | None = None,
) -> list[Report]:
    """Clean a file's text and parse it into reports and sections.

    Steps: :func:`drafter.corpus.cleaning.prepare_lines` (site boilerplate, footnote
    markers); :func:`find_report_titles` (several numbered reports → one
    :class:`Report` each; the page header before the first of them is
    dropped); otherwise one report titled by its first line when that line is
    title-like (:func:`is_title_like`), else by the file stem; then per report
    :func:`drafter.corpus.cleaning.join_broken_lines` and :func:`split_sections`.

    Args:
        text: the whole file's text, either script.
        source: the file path as given (kept in each report).
        encoding: the detected encoding (kept in each report).
        headings: heading lines known from the document's structure (Word
            heading styles), text → level; they are headings even without a
            公文 marker.

    Returns:
        The reports in file order; reports with no body text are left out.
    """
    # known headings are compared with cleaned lines: clean them the same way
    headings = {drop_footnote_markers(split_lines(k)[0]).strip(): v for k, v in (headings or {}).items() if k.strip()}
    lines = prepare_lines(text)
    titles = find_report_titles(lines)
    pieces: list[tuple[str, list[str]]] = []
    if titles:
        for n, (i, title, used) in enumerate(titles):
            end = titles[n + 1][0] if n + 1 < len(titles) else len(lines)
            pieces.append((title, lines[i + used : end]))
    else:
        first = next((i for i, line in enumerate(lines) if line), None)
        stem = Path(source).stem if source != "<text>" else source
        if first is not None and is_title_like(lines[first]) and headings.get(lines[first], 1) <= 1:
            pieces.append((lines[first], lines[first + 1 :]))
        else:
            pieces.append((stem, lines))

    def is_heading(line: str) -> bool:
        return line in headings or heading_marker(line) is not None

    reports = []
    for title, body_lines in pieces:
        paras = join_broken_lines(body_lines, is_heading=is_heading)
        body = "\n".join(paras)
        if not body.strip():
            continue
        sections = split_sections(body, headings)
        lead = sections[0].text if sections and sections[0].level == 0 else ""
        reports.append(
            Report(
                title=title,
                year=find_year(title, lead),
                source=source,
                position=len(reports),
                text=body,
                sections=sections,
                encoding=encoding,
                script=detect_script(body),
                placeholders=find_placeholders(body),
            )
        )
    return reports


_YEAR = re.compile(r"(?<![0-9０-９xX])((?:19|20)[0-9]{2})\s*年")


def find_year(title: str, lead: str = "") -> int | None:
    """The report's year: the first ``19xx年``/``20xx年`` in the title, else in
    the lead text; anonymised years (``20xx年``) do not count.

    Args:
        title: the report title.
        lead: the report's lead text (before the first heading).

    Returns:
        The year, or ``None``.
    """
    for text in (title, lead):
        m = _YEAR.search(text)
        if m:
            return int(m.group(1))
    return None
