"""The chunk: a piece of one report section, as chunking makes it and the store gives it back.

One type for both (:func:`drafter.corpus.chunking.chunk_report` produces it,
:class:`drafter.index.store.Store` returns it, :class:`drafter.index.retrieval.Hit`
carries it to drafting), so a passage reads the same wherever it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Chunk:
    """A piece of one report section, ready for indexing.

    Attributes:
        id: stable content id: sha256 of (source, report title, section path,
            text), 32 hex digits; a repeat of the same text in the same section
            gets ``#2``, ``#3`` … mixed into the hash.
        text: the chunk's text, original script (``Report.text[start:end]``).
        norm_text: :func:`drafter.text.script.normalise` of ``text`` (simplified via
            OpenCC ``tw2sp``, so 专案/資料/最佳化 read 项目/数据/优化; NFKC, spaces
            collapsed), for BM25 and display.
        embed_text: simplified heading path joined by ``" > "``, a space, and the
            simplified text: what gets embedded.
        report_id: stable id of the report: sha256 of (source, position, title),
            32 hex digits.
        report_title: the report's title.
        year: the report's year, or ``None``.
        source: the file path as given.
        position: position of the report in its file (0-based).
        section_path: heading path of the section (``[]`` for lead text).
        section_kind: kind of the section (see :mod:`drafter.corpus.kinds`).
        chunk_index: order of the chunk within the report (0-based).
        start: offset of the chunk in ``Report.text``.
        end: offset just after the chunk in ``Report.text``.
        file_hash: sha256 of the file the chunk came from, as the store records it
            (``""`` until ingested).

    A chunk read back from the store (:mod:`drafter.index.records`) is a ``Chunk``
    too; the store keeps neither ``embed_text`` nor the offsets, so those read
    back as ``""`` and 0.
    """

    id: str
    text: str
    norm_text: str
    report_id: str
    report_title: str
    year: int | None
    source: str
    position: int
    section_path: list[str]
    section_kind: str
    chunk_index: int
    embed_text: str = ""
    start: int = 0
    end: int = 0
    file_hash: str = ""
