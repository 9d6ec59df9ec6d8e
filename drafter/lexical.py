"""BM25 over jieba tokens of script-normalised text (bm25s), persisted with the store.

Chinese has no spaces, so documents and queries are segmented with jieba after
conversion to simplified script (OpenCC tw2sp); traditional and simplified
queries therefore hit the same passages. Punctuation, whitespace and one-
character function words are dropped. Hits with a zero score are dropped.
The index keeps per-document metadata (kind, year, source, report) so filters
become a ``weight_mask`` instead of a second pass.
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

from .script import normalise

_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
_STOP = frozenset("的 了 和 与 及 等 在 对 为 是 将 把 被 由 从 于 以 并 也 又 而 或 之 其 有 着 就 都 要 中 上 下 个 年 月 日".split())


@functools.lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """jieba tokens of the simplified, NFKC-normalised text, without punctuation and stop words."""
    jb = _jieba()
    out = []
    for tok in jb.lcut(normalise(text)):
        tok = tok.strip().lower()
        if tok and _KEEP.search(tok) and tok not in _STOP:
            out.append(tok)
    return out


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

    def __init__(self, retriever: Any, meta: DocMeta) -> None:
        self.retriever = retriever
        self.meta = meta
        self._vocab = getattr(retriever, "vocab_dict", None) or {}

    @property
    def count(self) -> int:
        """Number of indexed documents."""
        return len(self.meta.ids)

    @classmethod
    def build(cls, chunks: Sequence[Any]) -> "LexicalIndex":
        """Index chunks having ``id``, ``norm_text``, ``section_kind``, ``year``, ``source``, ``report_id``."""
        import bm25s

        retriever = bm25s.BM25()
        tokens = [tokenize(c.norm_text or c.text) or ["<empty>"] for c in chunks]
        if tokens:
            retriever.index(tokens, show_progress=False)
        meta = DocMeta(
            ids=[c.id for c in chunks],
            kinds=np.array([c.section_kind for c in chunks], dtype=object),
            years=np.array([c.year if c.year is not None else -1 for c in chunks], dtype=np.int32),
            sources=[c.source for c in chunks],
            reports=[c.report_id for c in chunks],
        )
        return cls(retriever, meta)

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` atomically (a temp folder, then rename)."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".lexical-", dir=folder.parent))
        try:
            if self.count:
                self.retriever.save(str(tmp / "bm25"), show_progress=False)
            (tmp / "meta.json").write_text(
                json.dumps(
                    {
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
            retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=False, show_progress=False) if data["ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        meta = DocMeta(data["ids"], np.array(data["kinds"], dtype=object), np.array(data["years"], dtype=np.int32), data["sources"], data["reports"])
        return cls(retriever, meta)

    def mask(self, kinds: Sequence[str] | None = None, year_from: int | None = None, year_to: int | None = None,
             sources: Sequence[str] | None = None, reports: Sequence[str] | None = None) -> np.ndarray | None:
        """0/1 float mask of documents passing the filters, or None for no filter."""
        if not any([kinds, year_from, year_to, sources, reports]):
            return None
        m = np.ones(self.count, dtype=bool)
        if kinds:
            m &= np.isin(self.meta.kinds, list(kinds))
        if year_from is not None:
            m &= self.meta.years >= year_from
        if year_to is not None:
            m &= (self.meta.years <= year_to) & (self.meta.years >= 0)
        if sources:
            m &= np.isin(np.array(self.meta.sources, dtype=object), list(sources))
        if reports:
            m &= np.isin(np.array(self.meta.reports, dtype=object), list(reports))
        return m.astype(np.float32)

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
