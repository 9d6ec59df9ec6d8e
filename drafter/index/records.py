"""A chunk as the store keeps it: chroma metadata (scalars only) and back.

:func:`chunk_metadata` is what :meth:`drafter.index.store.Store.add` writes next to a
chunk's text; :func:`chunk_from_record` reads it back into the same
:class:`~drafter.corpus.chunk.Chunk` type chunking produced.
"""

from __future__ import annotations

import json
from typing import Any

from drafter.corpus.chunk import Chunk

__all__ = ["chunk_from_record", "chunk_metadata"]


def chunk_from_record(cid: str, doc: str, meta: dict[str, Any]) -> Chunk:
    """The :class:`~drafter.corpus.chunk.Chunk` of a stored record: its id, document and
    metadata (as :func:`chunk_metadata` wrote it; missing keys read as empty)."""
    year = meta.get("year", -1)
    return Chunk(
        id=cid,
        text=doc or "",
        norm_text=meta.get("norm", ""),
        report_id=meta.get("report_id", ""),
        report_title=meta.get("report_title", ""),
        year=None if year in (-1, None) else int(year),
        source=meta.get("source", ""),
        position=int(meta.get("position", 0)),
        section_path=json.loads(meta.get("section_path", "[]")),
        section_kind=meta.get("section_kind", "other"),
        chunk_index=int(meta.get("chunk_index", 0)),
        file_hash=meta.get("file_hash", ""),
    )


def chunk_metadata(chunk: Chunk, file_hash: str) -> dict[str, Any]:
    """Chroma metadata of a :class:`~drafter.corpus.chunk.Chunk` (scalars only; the path as JSON;
    no year is -1)."""
    return {
        "norm": chunk.norm_text,
        "report_id": chunk.report_id,
        "report_title": chunk.report_title,
        "year": chunk.year if chunk.year is not None else -1,
        "source": chunk.source,
        "position": chunk.position,
        "section_path": json.dumps(chunk.section_path, ensure_ascii=False),
        "section_top": chunk.section_path[0] if chunk.section_path else "",
        "section_kind": chunk.section_kind,
        "chunk_index": chunk.chunk_index,
        "file_hash": file_hash,
    }
