"""BM25 over jieba tokens of script-normalised text (bm25s), persisted with the store.

Chinese has no spaces, so documents and queries are segmented with jieba after
conversion to simplified script (OpenCC tw2sp); traditional and simplified
queries therefore hit the same passages. Punctuation, whitespace and one-
character function words are dropped. Hits with a zero score are dropped.
A document is its section headings followed by its text (the headings are
what the dense side embeds too, see ``Chunk.embed_text``). The index keeps
per-document metadata (kind, year, source, report) so filters become a
``weight_mask`` instead of a second pass.

Saved layout (``lexical/``): ``bm25/`` (bm25s files, loaded memory-mapped),
``meta.json`` (ids and filter fields, format :data:`FORMAT`) and
``tokens.txt`` (each document's tokens, one line per document), which is read
only when the index is rebuilt after an ingest, so unchanged documents are not
segmented again.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drafter.text.script import normalise
from drafter.text.textutil import HAN_CLASS
from drafter.text.textutil import jieba as jieba_module

FORMAT = 2
"""Version of the saved index; an index saved in another format is rebuilt."""
_KEEP = re.compile(rf"[\w{HAN_CLASS}]")
_STOP = frozenset("的 了 和 与 及 等 在 对 为 是 将 把 被 由 从 于 以 并 也 又 而 或 之 其 有 着 就 都 要 中 上 下 个 年 月 日".split())


def tokenize(text: str) -> list[str]:
    """jieba tokens of the simplified, NFKC-normalised text, without punctuation and stop words."""
    jb = jieba_module()
    out = []
    for tok in jb.lcut(normalise(text)):
        tok = tok.strip().lower()
        if tok and _KEEP.search(tok) and tok not in _STOP:
            out.append(tok)
    return out


def document_tokens(chunk: Any) -> list[str]:
    """Tokens of one document: its section headings, then its text."""
    heads = " ".join(getattr(chunk, "section_path", None) or [])
    return tokenize(f"{heads} {chunk.norm_text or chunk.text}") or ["<empty>"]


@dataclass
class DocMeta:
    """Per-document data kept beside the BM25 matrix for filtering."""

    ids: list[str]
    kinds: np.ndarray
    years: np.ndarray
    sources: list[str]
    reports: list[str]


class LexicalIndex:
    """A bm25s index plus document ids and filter metadata.

    Build with :meth:`build`, persist with :meth:`save`, reopen with :meth:`load`.
    """

    def __init__(self, retriever: Any, meta: DocMeta, tokens: list[list[str]] | None = None,
                 folder: Path | None = None) -> None:
        self.retriever = retriever
        self.meta = meta
        self._vocab = getattr(retriever, "vocab_dict", None) or {}
        self._tokens = tokens
        self._folder = folder
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._positions: dict[str, int] | None = None

    @property
    def count(self) -> int:
        """Number of indexed documents."""
        return len(self.meta.ids)

    def tokens(self) -> dict[str, list[str]]:
        """``{doc id: tokens}`` (read from ``tokens.txt`` for a loaded index; empty when unavailable)."""
        if self._tokens is None and self._folder is not None:
            try:
                lines = (self._folder / "tokens.txt").read_text(encoding="utf-8").split("\n")
            except OSError:
                return {}
            if len(lines) < self.count:
                return {}
            return {cid: line.split(" ") for cid, line in zip(self.meta.ids, lines)}
        return dict(zip(self.meta.ids, self._tokens or []))

    @classmethod
    def build(cls, chunks: Sequence[Any], reuse: "LexicalIndex | None" = None) -> "LexicalIndex":
        """Index chunks having ``id``, ``norm_text``, ``section_path``, ``section_kind``, ``year``, ``source``, ``report_id``.

        Args:
            chunks: the documents, in index order.
            reuse: a previous index of (mostly) the same chunks; tokens of ids it
                holds are taken from it instead of segmenting the text again
                (chunk ids are content hashes, so an id's text never changes).
        """
        import bm25s

        retriever = bm25s.BM25()
        known = reuse.tokens() if reuse is not None else {}
        tokens = [known.get(c.id) or document_tokens(c) for c in chunks]
        if tokens:
            retriever.index(tokens, show_progress=False)
        meta = DocMeta(
            ids=[c.id for c in chunks],
            kinds=np.array([c.section_kind for c in chunks], dtype=object),
            years=np.array([c.year if c.year is not None else -1 for c in chunks], dtype=np.int32),
            sources=[c.source for c in chunks],
            reports=[c.report_id for c in chunks],
        )
        return cls(retriever, meta, tokens)

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` atomically (a temp folder, then rename)."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".lexical-", dir=folder.parent))
        try:
            if self.count:
                self.retriever.save(str(tmp / "bm25"), show_progress=False)
            toks = self.tokens()
            (tmp / "tokens.txt").write_text("\n".join(" ".join(toks.get(cid, [])) for cid in self.meta.ids), encoding="utf-8")
            (tmp / "meta.json").write_text(
                json.dumps(
                    {
                        "format": FORMAT,
                        "ids": self.meta.ids,
                        "kinds": list(self.meta.kinds),
                        "years": self.meta.years.tolist(),
                        "sources": self.meta.sources,
                        "reports": self.meta.reports,
                    },
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            old = folder.with_name(folder.name + ".old")
            if folder.exists():
                if old.exists():
                    shutil.rmtree(old)
                os.replace(folder, old)
            os.replace(tmp, folder)
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
            self._tokens, self._folder = None, folder  # tokens stay on disk, not in memory
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex | None":
        """Load a saved index, or None when missing or unreadable (the caller rebuilds)."""
        import bm25s

        folder = Path(folder)
        try:
            data = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return None
            retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False) if data["ids"] else bm25s.BM25()
            if data["ids"] and int(retriever.scores["num_docs"]) != len(data["ids"]):
                return None  # files of two saves (the folder was replaced while loading)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        meta = DocMeta(data["ids"], np.array(data["kinds"], dtype=object), np.array(data["years"], dtype=np.int32), data["sources"], data["reports"])
        return cls(retriever, meta, folder=folder)

    def mask(self, kinds: Sequence[str] | None = None, year_from: int | None = None, year_to: int | None = None,
             sources: Sequence[str] | None = None, reports: Sequence[str] | None = None) -> np.ndarray | None:
        """0/1 float mask of documents passing the filters, or None for no filter."""
        if not any([kinds, year_from, year_to, sources, reports]):
            return None
        m = np.ones(self.count, dtype=bool)
        if kinds:
            m &= self._member("kinds", kinds)
        if year_from is not None:
            m &= self.meta.years >= year_from
        if year_to is not None:
            m &= (self.meta.years <= year_to) & (self.meta.years >= 0)
        if sources:
            m &= self._member("sources", sources)
        if reports:
            m &= self._member("reports", reports)
        return m.astype(np.float32)

    def _member(self, field: str, values: Sequence[str]) -> np.ndarray:
        """Boolean array: the document's ``field`` is one of ``values`` (categorical codes, built once)."""
        if field not in self._codes:
            self._codes[field] = np.unique(np.asarray(getattr(self.meta, field), dtype=object), return_inverse=True)
        labels, codes = self._codes[field]
        wanted = np.flatnonzero(np.isin(labels, list(values)))
        return np.isin(codes, wanted)

    def positions(self) -> dict[str, int]:
        """``{doc id: row}`` (built once)."""
        if self._positions is None:
            self._positions = {cid: i for i, cid in enumerate(self.meta.ids)}
        return self._positions

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top-``k`` ``(chunk_id, bm25 score)`` with score > 0."""
        if not self.count:
            return []
        toks = [t for t in tokenize(query) if t in self._vocab]
        if not toks:
            return []
        if mask is not None and not mask.any():
            return []
        kk = min(k, self.count)
        res, scores = self.retriever.retrieve([toks], k=kk, show_progress=False, weight_mask=mask, n_threads=0)
        out = []
        for idx, sc in zip(res[0], scores[0]):
            if sc > 0:
                out.append((self.meta.ids[int(idx)], float(sc)))
        return out
