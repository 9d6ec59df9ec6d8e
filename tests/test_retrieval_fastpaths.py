"""Speed paths of retrieval give the same results as the plain ones (hash embedder, no model)."""

from __future__ import annotations

import json
import shutil

import pytest

import drafter.index.lexical as lexical
import drafter.index.retrieval as retrieval
from conftest import BUNDLED_CORPUS
from drafter.api import Drafter
from drafter.index.embeddings import HashEmbedder
from drafter.index.lexical import LexicalIndex
from drafter.index.retrieval import Filters


@pytest.fixture
def drafter(tmp_path):
    d = Drafter(embedder=HashEmbedder(), store=tmp_path / "store")
    d.ingest([BUNDLED_CORPUS])
    return d


FILTERS = [
    Filters(kinds=["work"]),
    Filters(kinds=["problems", "next_steps"]),
    Filters(year_from=2023),
    Filters(year_to=2022, kinds=["work"]),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: json.dumps({k: v for k, v in vars(f).items() if v}))
@pytest.mark.parametrize("overfetch", [1000, 5], ids=["local-filter", "chroma-where"])
def test_filtered_dense_matches_chroma_where(drafter, monkeypatch, filters, overfetch):
    monkeypatch.setattr(retrieval, "MAX_OVERFETCH", overfetch)
    store, r = drafter.store, drafter.retriever()
    for query in ("农村公路建设", "问题 不足", "黄桃 合作社"):
        vec = store.embedder.embed_query(query)
        want = store.dense_query(vec, 30, filters.chroma_where())
        got = r._dense(vec, 30, filters)
        assert [c for c, _ in got] == [c for c, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)


def test_source_filter_and_a_filter_matching_nothing(drafter):
    one = sorted(drafter.store.sources())[0]
    hits = drafter.search("工作", k=5, filters=Filters(sources=[one]), mode="dense")
    assert hits and all(h.chunk.source == one for h in hits)
    assert drafter.search("工作", k=5, filters=Filters(year_from=2099)) == []


def test_rebuild_segments_only_new_chunks(tmp_path, monkeypatch):
    src = tmp_path / "reports"
    src.mkdir()
    files = sorted(BUNDLED_CORPUS.glob("*.txt"))
    for f in files[:3]:
        shutil.copy(f, src / f.name)
    d = Drafter(embedder=HashEmbedder(), store=tmp_path / "store")
    d.ingest([src])
    calls: list[str] = []
    real = lexical.document_tokens
    monkeypatch.setattr(lexical, "document_tokens", lambda c: calls.append(c.id) or real(c))
    shutil.copy(files[3], src / files[3].name)
    rep = d.ingest([src])
    assert len(calls) == rep.added > 0  # the old chunks' tokens came from tokens.txt
    fresh = Drafter(embedder=HashEmbedder(), store=tmp_path / "store")
    assert fresh.search("农村公路", k=3, mode="bm25") == d.search("农村公路", k=3, mode="bm25")


def test_index_of_an_older_format_is_rebuilt(drafter):
    folder = drafter.store.local_dir / "lexical"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    del meta["format"]
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert LexicalIndex.load(folder) is None
    assert drafter.store.lexical_stale()
    fresh = Drafter(embedder=HashEmbedder(), store=drafter.settings.store_path())
    assert fresh.search("路灯", k=3, mode="bm25")
    assert LexicalIndex.load(folder) is not None


def test_headings_are_searchable(drafter):
    hits = drafter.search("培育黄桃特色产业", k=3, mode="bm25")
    assert any("培育黃桃特色產業" in " ".join(h.chunk.section_path) or "培育黄桃特色产业" in " ".join(h.chunk.section_path) for h in hits)


class _FakeLex:
    def __init__(self, kinds):
        self.kinds = kinds
        self.count = len(kinds)

    def positions(self):
        return {f"d{i}": i for i in range(self.count)}

    def mask(self, kinds, *rest):
        import numpy as np

        return np.array([k in kinds for k in self.kinds], dtype=np.float32)


class _FakeStore:
    """1000 docs ranked d0, d1, …; only every 10th from d500 on is of kind 'rare'."""

    def __init__(self):
        self.kinds = ["rare" if i >= 500 and i % 10 == 0 else "common" for i in range(1000)]
        self.calls: list[tuple[int, object]] = []

    def lexical(self):
        return _FakeLex(self.kinds)

    def dense_query(self, vector, k, where=None):
        self.calls.append((k, where))
        ids = [i for i in range(1000) if where is None or self.kinds[i] == "rare"]
        return [(f"d{i}", 1.0 - i / 1000) for i in ids[:k]]


def test_filtered_dense_widens_the_fetch_before_using_where(monkeypatch):
    monkeypatch.setattr(retrieval, "EXACT_MAX", 0)  # the over-fetch path (large stores), not the exact one
    store = _FakeStore()
    r = retrieval.Retriever(store)  # type: ignore[arg-type]
    got = r._dense(None, 10, Filters(kinds=["rare"]))
    assert [c for c, _ in got] == [f"d{i}" for i in range(500, 600, 10)]
    assert [k for k, _ in store.calls] == [300, 1000] and all(w is None for _, w in store.calls)
    store.calls.clear()
    monkeypatch.setattr(retrieval, "MAX_OVERFETCH", 400)  # too few pass within 400: chroma's where
    got = r._dense(None, 10, Filters(kinds=["rare"]))
    assert [c for c, _ in got] == [f"d{i}" for i in range(500, 600, 10)]
    assert store.calls[-1][1] == {"section_kind": {"$in": ["rare"]}}
