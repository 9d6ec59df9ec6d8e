"""Reading corpus files into text: .txt, .md, .docx, text PDFs and HTML.

:func:`read_document` returns a :class:`LoadedText` or, for a file that cannot
be used, a :class:`Skipped` with a reason worded for the user; it never raises
for a bad file, so that ingesting a folder goes on past it. Well-kept libraries
do the reading:

* encodings of text files (UTF-8 with or without BOM, UTF-16 with or
  without BOM, GB18030/GBK, Big5) are detected by ``charset-normalizer``; a file whose
  detection is unsure, whose decoding holds replacement characters, or whose
  text is not plausibly Chinese is skipped rather than read as mojibake;
* ``.docx`` by ``python-docx`` (paragraphs and tables in document order;
  heading-styled paragraphs are reported as headings);
* PDFs by ``pdfplumber`` (text layer only; no OCR);
* HTML by ``beautifulsoup4`` (scripts, styles and navigation dropped).

Legacy ``.doc``/``.wps`` files are skipped with a hint to convert them.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drafter.errors import InputError
from drafter.text.textutil import HAN_CLASS
from drafter.corpus.markup import html_to_text, markdown_to_text

MAX_BYTES = 50 * 1024 * 1024
"""Files larger than this (50 MB) are refused without being read."""

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
LEGACY_SUFFIXES = frozenset({".doc", ".wps", ".wpt", ".dot"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}
"""File types :func:`read_document` reads."""

MIN_HAN_SHARE = 0.2
"""Least share of Chinese characters (of non-space characters) for a text to be
taken as a Chinese report; below it the file is skipped (not Chinese, or a
wrong decoding)."""

MAX_ODD_SHARE = 0.01
"""Most share of control, private-use or unassigned characters a decoded text
may hold; above it the decoding is taken as mojibake."""


@dataclass
class LoadedText:
    """Text read from one corpus file.

    Attributes:
        path: the file path as given.
        text: the document's text, one paragraph per line (table rows: cells
            joined by tabs); the script and wording are unchanged.
        encoding: the detected text encoding (codec name such as ``utf-8``,
            ``utf-8-sig``, ``utf-16``, ``gb18030``, ``big5``); for container
            formats, which hold their own encoding, the format name
            (``docx``, ``pdf``).
        format: ``txt``, ``md``, ``html``, ``docx`` or ``pdf``.
        headings: lines the document itself marks as headings (Word heading
            styles, Markdown ``#``, HTML ``<h1>``–``<h6>``) with their level
            (1 = top), in order. 公文 numbering in the text is found later by
            :mod:`drafter.corpus.reports`.
    """

    path: str
    text: str
    encoding: str
    format: str
    headings: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Skipped:
    """A file that was not read, and why.

    Attributes:
        path: the file path as given.
        reason: one phrase worded for the user, e.g. ``"no text layer (scanned?)"``.
    """

    path: str
    reason: str


def iter_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into the list of files to ingest.

    Folders are walked recursively; their files come sorted by path. Hidden
    files and folders (name starting with ``.``) and Office lock files
    (``~$…``) inside a folder are ignored; a file named explicitly is kept.
    Each file appears once, in the order given.

    Args:
        paths: one path or several (files or folders).

    Returns:
        File paths (of any type: :func:`read_document` decides what it reads).

    Raises:
        InputError: a path does not exist.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError(f"Corpus path '{raw}' does not exist.", "Check the path or create the folder.")
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and not any(_hidden(part) for part in f.relative_to(p).parts)
            )
        else:
            found = [p]
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


def read_document(path: str | Path, max_bytes: int = MAX_BYTES) -> LoadedText | Skipped:
    """Read one corpus file into text.

    Args:
        path: a file; ``.txt``/``.text``, ``.md``/``.markdown``,
            ``.html``/``.htm``, ``.docx`` or ``.pdf``.
        max_bytes: larger files are skipped without being read (default 50 MB).

    Returns:
        :class:`LoadedText`, or :class:`Skipped` with the reason for a file that
        is empty, binary, too large, unreadable, undecodable, not Chinese,
        a legacy ``.doc``/``.wps`` ("convert it to .docx"), a PDF without a text
        layer ("no text layer (scanned?)"), or of an unsupported type.

    Raises:
        InputError: ``path`` does not exist or is a folder (use :func:`iter_files`).
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError(f"Corpus file '{name}' does not exist.")
    if p.is_dir():
        raise InputError(f"'{name}' is a folder, not a file.", "Pass it to iter_files() to list its files.")
    suffix = p.suffix.lower()
    if suffix in LEGACY_SUFFIXES:
        return Skipped(name, f"legacy {suffix} format: convert it to .docx")
    if suffix not in SUPPORTED_SUFFIXES:
        return Skipped(name, f"unsupported file type '{suffix or '(none)'}'")
    try:
        size = p.stat().st_size
    except OSError as exc:
        return Skipped(name, f"cannot read the file: {exc.strerror or exc}")
    if size == 0:
        return Skipped(name, "empty file")
    if size > max_bytes:
        return Skipped(name, f"file too large ({size / 2**20:.1f} MB > {max_bytes / 2**20:.0f} MB)")
    try:
        if suffix == ".docx":
            loaded = _read_docx(p, name)
        elif suffix == ".pdf":
            loaded = _read_pdf(p, name)
        else:
            loaded = _read_textual(p, name, suffix)
    except OSError as exc:
        return Skipped(name, f"cannot read the file: {exc.strerror or exc}")
    if isinstance(loaded, Skipped):
        return loaded
    problem = text_problem(loaded.text)
    if problem:
        return Skipped(name, problem)
    return loaded


# --- text files -------------------------------------------------------------------

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def decode_bytes(data: bytes) -> tuple[str, str] | str:
    """Decode a text file's bytes with the encoding ``charset-normalizer`` detects.

    Args:
        data: the whole file.

    Returns:
        ``(text, encoding)`` with the codec name (``utf-8``, ``utf-8-sig``,
        ``utf-16``, ``utf-16-le``/``utf-16-be`` (no BOM), ``gb18030``, ``big5`` …),
        or a reason string when the bytes are binary (NUL bytes, unless the text is
        UTF-16/32), undetectable, decode with replacement characters, or could as
        well be another encoding giving different Chinese text (unsure).
    """
    from charset_normalizer import from_bytes

    nul = b"\x00" in data[:8192] and not data.startswith(_BOMS)
    matches = from_bytes(data)
    best = matches.best()
    if nul and (best is None or not best.encoding.startswith(("utf_16", "utf_32"))):
        # NUL bytes outside UTF-16/32 (whose ASCII characters carry one): binary
        return "binary file (not text)"
    if best is None:
        return "binary file or unknown text encoding"
    text = str(best)
    if "\ufffd" in text:
        return f"decoding as {best.encoding} gives replacement characters (mixed or damaged encoding)"
    encoding = codecs.lookup(best.encoding).name
    if encoding == "utf-8" and best.bom:
        encoding = "utf-8-sig"
    # Unsure: another candidate decodes to different, equally plausible Chinese.
    if not best.bom and text_problem(text) is None:
        for other in matches:
            if other is best or other.chaos > best.chaos + 0.01:
                continue
            alt = str(other)
            if alt != text and text_problem(alt) is None:
                return f"encoding unsure ({best.encoding} or {other.encoding}): save the file as UTF-8"
    return text, encoding


def _read_textual(p: Path, name: str, suffix: str) -> LoadedText | Skipped:
    decoded = decode_bytes(p.read_bytes())
    if isinstance(decoded, str):
        return Skipped(name, decoded)
    text, encoding = decoded
    if suffix in HTML_SUFFIXES:
        body, headings = html_to_text(text)
        return LoadedText(name, body, encoding, "html", headings)
    if suffix in MARKDOWN_SUFFIXES:
        body, headings = markdown_to_text(text)
        return LoadedText(name, body, encoding, "md", headings)
    return LoadedText(name, text, encoding, "txt")


def _heading_level(style_name: str) -> int | None:
    # Word's built-in heading styles are "Heading 1".."Heading 9" (localised
    # "标题 1"); "Title" is the document title.
    m = re.match(r"^(?:heading|标题|標題)\s*(\d)$", style_name.strip(), re.IGNORECASE)
    return int(m.group(1)) if m else None


def _read_docx(p: Path, name: str) -> LoadedText | Skipped:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(p))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        return Skipped(name, f"not a readable .docx file ({type(exc).__name__})")
    lines: list[str] = []
    headings: list[tuple[str, int]] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_rows(block))
            lines.append("")
            continue
        text = block.text.strip()
        style = block.style.name if block.style is not None else ""
        level = _heading_level(style or "")
        if level is not None and text:
            headings.append((text, level))
        lines.append(text)
    return LoadedText(name, "\n".join(lines), "docx", "docx", headings)


def _table_rows(table) -> list[str]:  # table: docx.table.Table
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:  # a merged cell repeats its text
                cells.append(text)
        if any(cells):
            rows.append("\t".join(cells))
    return rows


_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’])[ \t]+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’])")


def _read_pdf(p: Path, name: str) -> LoadedText | Skipped:
    import pdfplumber

    pages = []
    try:
        with pdfplumber.open(str(p)) as pdf:
            for page in pdf.pages:
                pages.append(page.extract_text() or "")
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types for a damaged or encrypted file
        return Skipped(name, f"not a readable PDF ({type(exc).__name__})")
    text = "\n\n".join(pages)
    if not text.strip():
        return Skipped(name, "no text layer (scanned?)")
    if "(cid:" in text:
        return Skipped(name, "PDF text layer has unmapped glyphs (cid:…), text cannot be recovered")
    # Spaces pdfminer puts between Chinese characters are layout, not text.
    text = "\n".join(_CJK_GAP.sub("", line) for line in text.split("\n"))
    return LoadedText(name, text, "pdf", "pdf")


# --- plausibility ----------------------------------------------------------------------


def text_problem(text: str) -> str | None:
    """Say why a decoded text is not usable as a Chinese report, or ``None``.

    Checks, on the non-space characters: empty; replacement characters; more
    than :data:`MAX_ODD_SHARE` control, private-use or unassigned characters
    (mojibake); fewer than :data:`MIN_HAN_SHARE` Chinese characters (not Chinese,
    or decoded with the wrong encoding).

    Args:
        text: decoded text.

    Returns:
        A reason worded for the user, or ``None`` when the text is fine.
    """
    total = len(text) - len(_SPACE.findall(text))
    if total <= 0:
        return "no text (empty after reading)"
    if "\ufffd" in text:
        return "text holds replacement characters (damaged or mixed encoding)"
    # only characters outside the usual ranges need a category look-up
    odd = sum(1 for c in _UNUSUAL.findall(text) if unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs"))
    if odd > MAX_ODD_SHARE * total:
        return "text holds control or unassigned characters (wrong encoding or binary)"
    han = len(_HAN.findall(text))
    if han < MIN_HAN_SHARE * total:
        return f"not Chinese text (only {100 * han // total}% Chinese characters; wrong encoding?)"
    return None


_SPACE = re.compile(r"\s")
_HAN = re.compile(f"[{HAN_CLASS}\U00020000-\U0003ffff]")
_UNUSUAL = re.compile("[^\t\n\r\x20-\x7e\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2000-\u206f]")
