"""Time of one section draft with the default embedded model, and ingest time of ../shared/corpus.

Run: python benchmarks/bench_draft.py [--model qwen2.5-coder-0.5b]

Uses a fresh DRAFTER_HOME under /tmp unless DRAFTER_HOME is set, so the first
figures include the one-off model join; the draft is timed on a warm install
(model joined, corpus ingested) as the issue's goal (< 60 s) asks.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=None, help="embedded model (default: the configured default)")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("DRAFTER_HOME", tempfile.mkdtemp(prefix="bench-draft-"))
    from drafter.api import Drafter
    from drafter.llm.localmodel import ensure_model_file, get_spec

    d = Drafter(local_model=args.model) if args.model else Drafter()
    spec = get_spec(d.settings.local_model)
    t = time.perf_counter()
    ensure_model_file(spec.name, d.settings.cache_dir())
    print(f"model {spec.name}: join/check {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    rep = d.ingest([SHARED_CORPUS])
    print(f"ingest ../shared/corpus: {time.perf_counter() - t:.1f} s, {rep.total_chunks} chunks "
          f"({rep.embed_seconds:.1f} s embedding; a re-ingest takes ~0 s)")
    d.ingest([REPO / "corpus"])
    for i in range(args.runs):
        t = time.perf_counter()
        draft = d.write(REPO / "corpus" / "figures-example.yaml", sections=["work"])
        total = time.perf_counter() - t
        s = draft.sections[0]
        print(f"run {i + 1}: one 工作开展情况 section {total:.1f} s (model {s.latency:.1f} s incl. server start excluded; "
              f"{s.prompt_tokens} prompt + {s.completion_tokens} completion tokens), check {'clean' if draft.ok else 'NOT clean'}")
    print(f"load average: {os.getloadavg()[0]:.1f} (2 cores; figures rise with load)")


if __name__ == "__main__":
    main()
