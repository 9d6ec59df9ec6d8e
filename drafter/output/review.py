"""Checking a draft where the user works: Word in, Word out.

:func:`read_draft` reads a draft as the checker sees it — a .docx file through
python-docx (body paragraphs and table rows, in order), or a UTF-8 text or
Markdown file as it is — together with a map from character offsets back to
what the user sees: the paragraph (counted from the top, title and headings
included, empty paragraphs not; a line for text files) and the headings it
stands under (一、… › （一）…). :func:`~drafter.output.comments.annotate_docx`
(:mod:`drafter.output.comments`, importable from here too) writes the document
back with every finding as a Word comment on the offending text (the text is
also highlighted), so that a reviewer sees them in Word or WPS.

Findings are :class:`drafter.guard.findings.Finding` objects used generically: their
``kind``, ``text``, ``start``, ``end`` and ``explanation`` (any other fields
are carried along untouched); a finding without a place (``start`` < 0, e.g.
``missing``) is commented on the first paragraph.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafter.errors import InputError
from drafter.guard.findings import Finding
from drafter.output.comments import COMMENT_AUTHOR, KIND_LABELS, annotate_docx, comment_text

__all__ = ["COMMENT_AUTHOR", "KIND_LABELS", "DraftText", "Location", "annotate_docx", "comment_text", "read_draft",
           "text_document"]

_H1 = re.compile(r"^[一二三四五六七八九十百]+、")
_H2 = re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_HEADING_STYLE = re.compile(r"^(?:heading|标题|標題|drafter heading)\s*(\d)$", re.I)
_TITLE_STYLE = re.compile(r"^(?:title|标题|標題|drafter title)$", re.I)
@dataclass(frozen=True)
class Location:
    """Where a character of the checked text stands, in the user's terms.

    Attributes:
        number: paragraph number (``.docx``: non-empty paragraphs from the top, title and
            headings included; a table row counts as one) or line number (text files).
        unit: ``"paragraph"`` or ``"line"``.
        headings: the headings it stands under, outermost first (its own when it is one).
        table: 1-based number of the table it is in, or None.
    """

    number: int
    unit: str
    headings: tuple[str, ...] = ()
    table: int | None = None

    def label(self) -> str:
        """E.g. ``paragraph 7 (in table 1), under 一、工作开展情况 › （一）基础设施建设``."""
        out = f"{self.unit} {self.number}"
        if self.table is not None:
            out += f" (in table {self.table})"
        if self.headings:
            out += ", under " + " › ".join(self.headings)
        return out

    def to_dict(self) -> dict[str, Any]:
        """``{unit: number, "headings": [...], "table": n|None}``."""
        return {self.unit: self.number, "headings": list(self.headings), "table": self.table}


@dataclass
class _Piece:
    paragraph: Any  # docx.text.paragraph.Paragraph, or None for text files
    start: int  # offset of its text in the checked text
    text: str


@dataclass
class _Block:
    location: Location
    start: int
    end: int
    pieces: list[_Piece] = field(default_factory=list)


@dataclass
class DraftText:
    """A draft as the checker sees it, with the way back to the user's document.

    Attributes:
        path: the file read.
        text: the text to check (paragraphs joined by line breaks; for text files the file itself).
        document: the python-docx ``Document`` (None for text files).
    """

    path: Path
    text: str
    document: Any = None
    _blocks: list[_Block] = field(default_factory=list, repr=False)

    def locate(self, offset: int) -> Location | None:
        """The :class:`Location` of a character offset of :attr:`text` (None for -1 or out of range)."""
        if offset < 0:
            return None
        for b in self._blocks:
            if b.start <= offset < max(b.end, b.start + 1):
                return b.location
        return self._blocks[-1].location if self._blocks and offset >= self._blocks[-1].start else None

    def locate_finding(self, finding: Finding) -> Location | None:
        """Where a finding stands (None for findings without a place, such as ``missing``)."""
        return self.locate(finding.start)


def _heading_level(text: str, style: str, first: bool) -> int | None:
    """1 for 一、…, 2 for （一）…, 0 for a title; None for body text."""
    t = text.strip()
    head = t.split("。", 1)[0]
    if _H1.match(t) and len(head) <= 40:
        return 1
    if _H2.match(t) and len(head) <= 40:
        return 2
    m = _HEADING_STYLE.match(style.strip())
    if _TITLE_STYLE.match(style.strip()) or (first and (m or style == "md")):
        return 0
    if m:
        return max(1, min(int(m.group(1)), 2))
    return 1 if style == "md" else None


def _heading_text(text: str) -> str:
    t = text.strip()
    head = t.split("。", 1)[0]
    return head if len(head) < len(t) else t


class _Outline:
    """Keeps the heading path while blocks are read in order."""

    def __init__(self) -> None:
        self.path: list[tuple[int, str]] = []
        self.seen_text = False

    def visit(self, text: str, style: str) -> tuple[str, ...]:
        level = _heading_level(text, style, first=not self.seen_text)
        self.seen_text = True
        if level is None or level == 0:
            return tuple(h for _, h in self.path)
        self.path = [(lv, h) for lv, h in self.path if lv < level] + [(level, _heading_text(text))]
        return tuple(h for _, h in self.path)


def _text_draft(path: Path, text: str) -> DraftText:
    blocks: list[_Block] = []
    outline = _Outline()
    pos = 0
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            md = _MD_HEADING.match(stripped)
            visible = stripped[md.end():] if md else stripped.lstrip("> ")
            headings = outline.visit(visible, "md" if md else "")
            blocks.append(_Block(Location(lineno, "line", headings), pos, pos + len(body), [_Piece(None, pos, body)]))
        pos += len(line)
    return DraftText(path, text, None, blocks)


def _cell_paragraphs(table: Any) -> list[list[Any]]:
    """Per table row, the paragraphs of its cells (a merged cell once)."""
    rows = []
    for row in table.rows:
        seen: set[int] = set()
        paras = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            paras.extend(p for p in cell.paragraphs if p.text.strip())
        rows.append(paras)
    return rows


def _docx_draft(path: Path, data: bytes | None = None) -> DraftText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data) if data is not None else str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .docx file ({type(exc).__name__}); save it from Word or WPS as .docx.") from exc
    parts: list[str] = []
    blocks: list[_Block] = []
    outline = _Outline()
    pos = 0
    tables = 0

    def add(pieces_text: list[tuple[Any, str]], style: str, table: int | None, sep: str) -> None:
        nonlocal pos
        if parts:
            parts.append("\n")
            pos += 1
        start = pos
        pieces = []
        for i, (para, text) in enumerate(pieces_text):
            if i:
                parts.append(sep)
                pos += len(sep)
            pieces.append(_Piece(para, pos, text))
            parts.append(text)
            pos += len(text)
        line = "".join(p.text for p in pieces)
        headings = outline.visit(line, style) if table is None else tuple(h for _, h in outline.path)
        blocks.append(_Block(Location(len(blocks) + 1, "paragraph", headings, table), start, pos, pieces))

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            tables += 1
            for paras in _cell_paragraphs(item):
                if paras:
                    add([(p, p.text) for p in paras], "", tables, "\t")
            continue
        if item.text.strip():
            add([(item, item.text)], item.style.name if item.style is not None else "", None, "")
    return DraftText(path, "".join(parts), document, blocks)


def read_draft(path: str | Path) -> DraftText:
    """Read a draft to check: ``.docx`` through python-docx, anything else as UTF-8 text.

    Args:
        path: the draft file (``.docx``, ``.md``, ``.txt`` …).

    Returns:
        A :class:`DraftText`.

    Raises:
        InputError: missing, a folder, a ``.doc``/``.wps`` file, a damaged .docx,
            or text that is not UTF-8.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: draft not found.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the draft file.")
    suffix = path.suffix.lower()
    if suffix in (".doc", ".wps"):
        raise InputError(f"{path}: the old {suffix} format cannot be read; save the draft as .docx in Word or WPS.")
    if suffix == ".docx":
        return _docx_draft(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: the draft is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the draft ({exc.strerror}).") from exc
    return _text_draft(path, text)


def text_document(draft: DraftText) -> DraftText:
    """A .docx version of a text draft: one paragraph per non-empty line (Markdown marks dropped, headings styled).

    The returned draft's text is the document's, so check it again before
    :func:`annotate_docx` (offsets refer to it).
    """
    import docx

    if draft.document is not None:
        return draft
    doc = docx.Document()
    for b in draft._blocks:
        line = b.pieces[0].text.strip()
        md = _MD_HEADING.match(line)
        text = line[md.end():] if md else line.lstrip("> ").strip()
        level = _heading_level(text, "md" if md else "", first=b is draft._blocks[0])
        if level == 0:
            doc.add_paragraph(text, style="Title")
        elif level is not None:
            doc.add_paragraph(text, style=f"Heading {level}")
        else:
            doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return _docx_draft(draft.path, buf.getvalue())
