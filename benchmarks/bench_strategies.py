"""Compare number strategies on the same cases with the embedded model.

Runs the eval harness (``drafter eval run``) over the shipped suite's cases (default: those tagged
``near-miss``, where copying old numbers tempts most) with each strategy, and prints per strategy
the share of sections with a clean check and the mean model time per section. Model replies are
cached, so a second run only re-scores.

Run: python benchmarks/bench_strategies.py [--model qwen2.5-coder-0.5b] [--tag near-miss]
         [--strategy compose --strategy masked --strategy slots --strategy free] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--tag", action="append", default=None)
    ap.add_argument("--strategy", action="append", default=None)
    ap.add_argument("--suite", default=str(REPO / "evals" / "suites" / "sections.yaml"))
    ap.add_argument("--out", default=str(REPO / "evals" / "runs" / "bench-strategies"))
    args = ap.parse_args()
    strategies = args.strategy or ["compose", "masked", "slots", "free"]
    cmd = [sys.executable, "-m", "drafter.cli", "eval", "run", args.suite, "-m", args.model, "-o", args.out, "-q"]
    for s in strategies:
        cmd += ["-s", s]
    for t in args.tag or ["near-miss"]:
        cmd += ["--tag", t]
    subprocess.run(cmd, cwd=REPO, env=os.environ.copy(), check=False)
    summary = json.loads((Path(args.out) / "summary.json").read_text(encoding="utf-8"))
    print(f"\n{summary['run']['outputs']} outputs, model {args.model}, cases tagged {', '.join(args.tag or ['near-miss'])}")
    print(f"{'strategy':<10} {'clean share':>12} {'figure recall':>14} {'invented+stale / section':>15} {'s / section':>12}")
    for v in summary["variants"]:
        m = summary["metrics"][v["id"]]

        def val(name: str) -> float:
            return float(m.get(name) or 0)

        n = max(1, m["outputs"] - m["errors"])
        print(f"{v['strategy']:<10} {val('clean'):>12.2f} {val('recall'):>14.2f} "
              f"{(val('invented') + val('stale')) / n:>15.2f} {val('latency'):>12.1f}")


if __name__ == "__main__":
    main()
