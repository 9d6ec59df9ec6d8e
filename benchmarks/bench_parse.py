"""Parse + chunk throughput on the shared corpus (no embedding).

Reads every file under the corpus folder, parses it into reports and sections
(:func:`drafter.corpus.reports.parse_file`) and chunks every report
(:func:`drafter.corpus.chunking.chunk_report`), a few times over, and prints MB/s and
chunks/s. Embedding time is measured by the ingest benchmark, not here.

Usage::

    python benchmarks/bench_parse.py [CORPUS_DIR] [--repeat N] [--max-tokens 256]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from drafter.corpus.chunking import chunk_report
from drafter.corpus.reports import parse_file
from drafter.corpus.loaders import iter_files

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=3, help="passes over the corpus (default 3)")
    ap.add_argument("--max-tokens", type=int, default=256)
    args = ap.parse_args()

    files = iter_files(args.corpus)
    size = sum(f.stat().st_size for f in files)
    chunk_report(parse_file(files[0]).reports[0]) if files else None  # warm up: tokenizer, OpenCC
    parse_s = chunk_s = 0.0
    reports = chunks = skipped = 0
    for _ in range(args.repeat):
        for f in files:
            t0 = time.perf_counter()
            parsed = parse_file(f)
            t1 = time.perf_counter()
            n = sum(len(chunk_report(r, max_tokens=args.max_tokens)) for r in parsed.reports)
            t2 = time.perf_counter()
            parse_s += t1 - t0
            chunk_s += t2 - t1
            reports += len(parsed.reports)
            chunks += n
            skipped += parsed.skipped is not None
    mb = size * args.repeat / 2**20
    total = parse_s + chunk_s
    print(f"corpus: {args.corpus} ({len(files)} files, {size / 2**20:.2f} MB), {args.repeat} passes")
    print(f"per pass: {reports // args.repeat} reports, {chunks // args.repeat} chunks "
          f"(max_tokens={args.max_tokens}), {skipped // args.repeat} files skipped")  # fmt: skip
    print(f"parse:        {parse_s:7.2f} s  {mb / parse_s:7.3f} MB/s")
    print(f"chunk:        {chunk_s:7.2f} s  {chunks / chunk_s:7.1f} chunks/s")
    print(f"parse+chunk:  {total:7.2f} s  {mb / total:7.3f} MB/s  {chunks / total:7.1f} chunks/s")


if __name__ == "__main__":
    main()
