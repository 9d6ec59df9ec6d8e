"""Extraction throughput: MB/s of report text through ``extract_quantities`` on one core.

Usage::

    python benchmarks/bench_extract.py [--seconds 5]

Reads the shared corpus (11 rural-revitalisation reports, traditional script,
``../shared/corpus/000_a0d734900480c52c.txt``), extracts its quantities
repeatedly for about ``--seconds`` seconds in this single Python process, and
prints characters/s and MB/s (UTF-8 bytes of the input). The first, cold run
(data files loaded, OpenCC opened) is timed separately.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from drafter import extract_quantities

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "000_a0d734900480c52c.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to keep extracting (default 5)")
    args = parser.parse_args()
    text = CORPUS.read_text(encoding="utf-8")
    size = len(text.encode("utf-8"))
    t0 = time.perf_counter()
    found = extract_quantities(text)
    cold = time.perf_counter() - t0
    runs, t0 = 0, time.perf_counter()
    while True:
        extract_quantities(text)
        runs += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= args.seconds:
            break
    per_run = elapsed / runs
    print(f"corpus: {CORPUS.resolve().name}, {len(text):,} characters, {size / 1e6:.3f} MB (UTF-8), {len(found)} quantities")
    print(f"cold first run: {cold * 1000:.0f} ms")
    print(f"warm: {runs} runs, {per_run * 1000:.1f} ms/run, {len(text) / per_run:,.0f} characters/s, {size / per_run / 1e6:.2f} MB/s (one core)")


if __name__ == "__main__":
    main()
