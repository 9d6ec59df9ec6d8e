"""Retrieval quality on a labelled query set: recall@k and MRR per retriever and subset.

The labelled set (``evals/retrieval/queries.yaml``) is a YAML list of queries::

    - id: q01
      query: 紅白理事會 自我管理 熱心服務 有待加強
      style: keyword            # keyword (the passage's own words) or paraphrase
      script: traditional       # simplified or traditional
      relevant:
        - report: 鄉村振興駐村工作情況彙報5          # the report's exact title line
          path: ["一、存在問題及原因", "(一)移風易俗方面。"]   # headings, top level down

Relevance is identified by report and section path, never by chunk id, so a
label survives re-chunking. A passage (chunk) is relevant to a label when

* its report title equals the label's ``report``, and
* the label's ``path`` is a prefix of the chunk's section path
  (a label naming only ``一、存在问题`` covers every subsection under it),

both compared after :func:`heading_key`: script normalisation (OpenCC tw2sp,
NFKC, so （一） and (一) agree), all whitespace removed, trailing 。 stripped.

Metrics (per retriever ``dense``, ``bm25``, ``hybrid``; per subset):

``recall@k``
    Share of queries with at least one relevant passage among the top ``k``
    hits (a "success at k" rate: a query with two relevant sections counts as
    found when either appears).
``MRR``
    Mean over queries of 1/rank of the first relevant hit within the top
    :data:`MRR_DEPTH` (0 when none is there).

Subsets: all queries, keyword vs paraphrase, simplified vs traditional, and
their four crossings. Search is limited to the sources of the labelled corpora
(a ``sources`` filter), so other files in the store do not change the figures.

Example::

    >>> from drafter import Drafter
    >>> from drafter.index.retrieval_eval import evaluate_retrieval, render_table
    >>> report = evaluate_retrieval(Drafter(store="/tmp/store"))  # doctest: +SKIP
    >>> print(render_table(report))                           # doctest: +SKIP
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafter.files import read_yaml
from drafter.config import REPO_ROOT
from drafter.errors import InputError
from drafter.index.retrieval import MODES, Filters
from drafter.text.script import detect_script, normalise
from drafter.validation import explain_validation

DEFAULT_QUERIES = REPO_ROOT / "evals" / "retrieval" / "queries.yaml"
"""The labelled query set shipped with Drafter."""
CORPORA_FILE = "corpora.yaml"
"""Beside a query file: the list of corpora its labels refer to (paths relative to the repository root)."""
MRR_DEPTH = 10
"""Hits looked at for MRR (a first relevant hit below this rank scores 0)."""


# --- the labelled set ------------------------------------------------------------------


class Label(BaseModel):
    """A relevant passage: every chunk of ``report`` under heading ``path``."""

    model_config = ConfigDict(extra="forbid")

    report: str = Field(min_length=1, description="The report's title line, exactly as written.")
    path: list[str] = Field(description="Headings from level 1 down; [] is the whole report.")


class LabelledQuery(BaseModel):
    """One labelled query."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    query: str = Field(min_length=1)
    style: Literal["keyword", "paraphrase"]
    script: Literal["simplified", "traditional"]
    relevant: list[Label] = Field(min_length=1)


def load_queries(path: str | Path = DEFAULT_QUERIES) -> list[LabelledQuery]:
    """Load and validate a labelled query file.

    Besides the fields, checks that ids are unique and that a query's text is
    not written in the other script than its ``script`` says.

    Raises:
        InputError: unreadable file or a bad entry, naming the file and the query id.
    """
    path = Path(path)
    data = read_yaml(path, "labelled query file")
    if not isinstance(data, list) or not data:
        raise InputError(f"{path}: expected a non-empty list of queries.")
    out: list[LabelledQuery] = []
    seen: set[str] = set()
    for n, item in enumerate(data, 1):
        qid = str(item.get("id", f"#{n}")) if isinstance(item, dict) else f"#{n}"
        try:
            q = LabelledQuery.model_validate(item)
        except ValidationError as exc:
            raise InputError(explain_validation(exc, f"{path}: query {qid}", model=LabelledQuery)) from exc
        if q.id in seen:
            raise InputError(f"{path}: query {q.id}: duplicate id.")
        seen.add(q.id)
        written = detect_script(q.query)
        if written not in ("unknown", q.script):
            raise InputError(f"{path}: query {q.id}: labelled {q.script} but written in {written} script.")
        out.append(q)
    return out


# --- matching ------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def heading_key(text: str) -> str:
    """Comparison form of a title or heading: normalised script, no whitespace, no trailing 。."""
    return _SPACE.sub("", normalise(text)).rstrip("。")


def matches(label: Label, report_title: str, section_path: Sequence[str]) -> bool:
    """True when a chunk of ``report_title`` under ``section_path`` is covered by ``label``."""
    if heading_key(label.report) != heading_key(report_title):
        return False
    want = [heading_key(h) for h in label.path]
    have = [heading_key(h) for h in section_path]
    return have[: len(want)] == want


def is_relevant(query: LabelledQuery, chunk: Any) -> bool:
    """True when ``chunk`` (any object with ``report_title`` and ``section_path``) is relevant to ``query``."""
    return any(matches(lab, chunk.report_title, chunk.section_path) for lab in query.relevant)


def unmatched_labels(queries: Iterable[LabelledQuery], chunks: Sequence[Any]) -> list[tuple[str, Label]]:
    """``(query id, label)`` of every label that matches none of ``chunks``."""
    keys = {(heading_key(c.report_title), tuple(heading_key(h) for h in c.section_path)) for c in chunks}
    out = []
    for q in queries:
        for lab in q.relevant:
            r, p = heading_key(lab.report), tuple(heading_key(h) for h in lab.path)
            if not any(kr == r and kp[: len(p)] == p for kr, kp in keys):
                out.append((q.id, lab))
    return out


def default_corpora(queries_path: str | Path = DEFAULT_QUERIES) -> tuple[Path, ...]:
    """The corpora the labels of ``queries_path`` refer to, as listed in ``corpora.yaml`` beside it.

    Shipped: the bundled reports and the shared real collection. Relative paths are read from the
    repository root.

    Raises:
        InputError: no ``corpora.yaml`` beside the query file, or one that is not a list of paths
            (pass the corpora explicitly: ``--corpus PATH``).
    """
    listing = Path(queries_path).parent / CORPORA_FILE
    hint = "Name the labelled corpora with --corpus PATH (repeatable)."
    if not listing.is_file():
        raise InputError(f"{listing} is missing: it lists the corpora the labels of {queries_path} refer to.", hint)
    try:
        data = yaml.safe_load(listing.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{listing} is not valid YAML: {exc}", hint) from exc
    if not isinstance(data, list) or not data or not all(isinstance(p, str) and p.strip() for p in data):
        raise InputError(f"{listing} must be a list of corpus paths.", hint)
    return tuple(Path(p) if Path(p).is_absolute() else REPO_ROOT / p for p in data)


def corpus_chunks(paths: Sequence[str | Path] | None = None) -> list[Any]:
    """Parse and chunk the labelled corpora (no embedder, no store) — for checking labels.

    ``paths`` defaults to :func:`default_corpora` of the shipped query set.
    """
    if paths is None:
        paths = default_corpora()
    from drafter.corpus.chunking import chunk_report
    from drafter.corpus.reports import parse_paths

    chunks = []
    for parsed in parse_paths(list(paths)):
        for rep in parsed.reports:
            chunks.extend(chunk_report(rep))
    return chunks


# --- metrics -------------------------------------------------------------------------------


def first_relevant_rank(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first True in ``flags``, or None."""
    return next((i for i, f in enumerate(flags, 1) if f), None)


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of queries whose first relevant rank is ≤ ``k`` (ranks: one per query, None = not found)."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mean_reciprocal_rank(ranks: Sequence[int | None], depth: int = MRR_DEPTH) -> float:
    """Mean of 1/rank over queries (0 for a query not found within ``depth``)."""
    return sum(1.0 / r for r in ranks if r is not None and r <= depth) / len(ranks) if ranks else 0.0


SUBSETS: dict[str, tuple[str | None, str | None]] = {
    "all": (None, None),
    "keyword": ("keyword", None),
    "paraphrase": ("paraphrase", None),
    "simplified": (None, "simplified"),
    "traditional": (None, "traditional"),
    "keyword/simplified": ("keyword", "simplified"),
    "keyword/traditional": ("keyword", "traditional"),
    "paraphrase/simplified": ("paraphrase", "simplified"),
    "paraphrase/traditional": ("paraphrase", "traditional"),
}
"""Subset name → (style, script); None means any."""


@dataclass
class Score:
    """Metrics of one retriever on one subset.

    Attributes:
        n: number of queries.
        recall: recall@k (share of queries with a relevant hit in the top k).
        mrr: mean reciprocal rank of the first relevant hit (within :data:`MRR_DEPTH`).
    """

    n: int
    recall: float
    mrr: float


@dataclass
class QueryResult:
    """Outcome of one query under one retriever.

    Attributes:
        id: query id; mode: retriever; rank: 1-based rank of the first relevant hit (None: not in the top ``MRR_DEPTH``).
        top: ``report › path`` of the top hits, for reading failures.
        seconds: search time.
    """

    id: str
    mode: str
    rank: int | None
    top: list[str]
    seconds: float


@dataclass
class Report:
    """Result of :func:`evaluate_retrieval`.

    Attributes:
        k: the cut-off of recall@k.
        embedder: name of the store's embedder.
        queries_file: the labelled file used.
        scores: ``{mode: {subset: Score}}``.
        results: one :class:`QueryResult` per query and mode.
    """

    k: int
    embedder: str
    queries_file: str
    scores: dict[str, dict[str, Score]] = field(default_factory=dict)
    results: list[QueryResult] = field(default_factory=list)

    def hybrid_shortfalls(self, subsets: Sequence[str] = ("keyword", "paraphrase")) -> list[str]:
        """Subsets where hybrid recall@k is below the better of dense and BM25 (empty = none)."""
        out = []
        for s in subsets:
            best = max(self.scores[m][s].recall for m in ("dense", "bm25") if m in self.scores)
            if "hybrid" in self.scores and self.scores["hybrid"][s].recall + 1e-9 < best:
                out.append(s)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "k": self.k, "mrr_depth": MRR_DEPTH, "embedder": self.embedder, "queries_file": self.queries_file,
            "scores": {m: {s: asdict(v) for s, v in subs.items()} for m, subs in self.scores.items()},
            "hybrid_shortfalls": self.hybrid_shortfalls() if {"dense", "bm25", "hybrid"} <= set(self.scores) else None,
            "results": [asdict(r) for r in self.results],
        }


def evaluate_retrieval(drafter: Any, queries_path: str | Path = DEFAULT_QUERIES, k: int = 5,
                       modes: Sequence[str] = ("dense", "bm25", "hybrid"),
                       corpora: Sequence[str | Path] | None = None, ingest: bool = True) -> Report:
    """Run every labelled query through each retriever and score the rankings.

    Args:
        drafter: a :class:`drafter.api.Drafter` (its store and embedder are used).
        queries_path: the labelled query file.
        k: cut-off of recall@k (≥ 1).
        modes: retrievers to compare (``dense``, ``bm25``, ``hybrid``).
        corpora: the files/folders the labels refer to (default: :func:`default_corpora` of
            ``queries_path``).
        ingest: ingest ``corpora`` first (idempotent: unchanged chunks are skipped).

    Returns:
        A :class:`Report`.

    Raises:
        InputError: bad k or mode, a bad query file, a missing corpus, or a
            label matching no passage of the corpora (named by query id).
        StoreError, ModelError: as the store and embedder raise.
    """
    if k < 1:
        raise InputError("--k must be at least 1.")
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise InputError(f"Unknown retrieval mode '{bad[0]}'; use one of {', '.join(MODES)}.")
    queries = load_queries(queries_path)
    if corpora is None:
        corpora = default_corpora(queries_path)
    missing = [str(p) for p in corpora if not Path(p).exists()]
    if missing:
        raise InputError(f"The labelled corpus {missing[0]} is missing.", "The retrieval labels refer to it; restore it first.")
    lost = unmatched_labels(queries, corpus_chunks(corpora))
    if lost:
        qid, lab = lost[0]
        raise InputError(f"{queries_path}: query {qid}: no passage of the corpora lies under {lab.report} › {' › '.join(lab.path)}.")
    if ingest:
        drafter.ingest(list(corpora))
    filters = Filters(sources=drafter.sources_under(corpora))
    retriever = drafter.retriever()
    depth = max(k, MRR_DEPTH)
    report = Report(k=k, embedder=drafter.store.embedder.name, queries_file=str(queries_path))
    ranks: dict[str, dict[str, int | None]] = {m: {} for m in modes}
    for q in queries:
        for mode in modes:
            t0 = time.perf_counter()
            hits = retriever.search(q.query, k=depth, filters=filters, mode=mode)
            secs = time.perf_counter() - t0
            rank = first_relevant_rank([is_relevant(q, h.chunk) for h in hits])
            ranks[mode][q.id] = rank
            top = [f"{h.chunk.report_title} › {' › '.join(h.chunk.section_path)}" for h in hits[:k]]
            report.results.append(QueryResult(q.id, mode, rank, top, round(secs, 4)))
    for mode in modes:
        report.scores[mode] = {}
        for name, (style, script) in SUBSETS.items():
            sub = [ranks[mode][q.id] for q in queries if style in (None, q.style) and script in (None, q.script)]
            report.scores[mode][name] = Score(len(sub), recall_at_k(sub, k), mean_reciprocal_rank(sub, depth))
    return report


def render_table(report: Report) -> str:
    """A plain-text table: one row per subset, recall@k and MRR per retriever side by side."""
    modes = list(report.scores)
    head = f"{'subset':<24}{'n':>4}" + "".join(f"{m + f' R@{report.k}':>14}{m + ' MRR':>13}" for m in modes)
    lines = [f"Retrieval on {report.queries_file} · embedder {report.embedder} · MRR within top {max(report.k, MRR_DEPTH)}", head, "-" * len(head)]
    for s in SUBSETS:
        row = f"{s:<24}{report.scores[modes[0]][s].n:>4}"
        for m in modes:
            sc = report.scores[m][s]
            row += f"{sc.recall:>14.3f}{sc.mrr:>13.3f}"
        lines.append(row)
    if {"dense", "bm25", "hybrid"} <= set(modes):
        short = report.hybrid_shortfalls()
        lines.append("hybrid ≥ max(dense, bm25) on keyword and paraphrase: " + ("yes" if not short else "NO (" + ", ".join(short) + ")"))
    return "\n".join(lines)
