"""Benchmark the name and copy guard (issue 7): speed, and drafts free of other places' names.

Usage::

    python benchmarks/bench_names.py speed               # name extraction and check speed on ../shared/corpus
    python benchmarks/bench_names.py run [--out DIR]     # eval run: evals/suites/names.yaml × compose, masked-names
                                                         # on qwen2.5-coder-0.5b (long: ~40 s per section per strategy)
    python benchmarks/bench_names.py table DIR           # the table of a finished (or running) run folder

``run`` calls ``drafter eval run`` (replies are cached, so a re-run is cheap and an
interrupted one resumes) and then prints the table. Per strategy, over drafted
sections: the share with no ``stale_name`` and no ``copied`` finding (the name
guard), the counts of each, the share where the number guard is clean too, the
share of facts written verbatim, and ``must_not_mention`` hits (the other
reports' names listed in the suite).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_FILE = REPO.parent / "shared" / "corpus" / "000_a0d734900480c52c.txt"
SUITE = REPO / "evals" / "suites" / "names.yaml"
STRATEGIES = ("compose", "masked-names")
MODEL = "qwen2.5-coder-0.5b"


def speed() -> None:
    """Names per report of the shared corpus, and characters per second of extraction and of the guard."""
    from drafter.guard.check import check_draft
    from drafter.figures import FigureSet
    from drafter.guard.names import extract_names

    text = SHARED_FILE.read_text(encoding="utf-8")
    reports = re.split(r"\n鄉村振興駐村工作情況彙報\d+\n", text)[1:]
    t = time.perf_counter()
    extract_names("预热：东滩镇")  # loads jieba's dictionary and tagger
    print(f"jieba load        {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    found = [extract_names(r) for r in reports]
    elapsed = time.perf_counter() - t
    chars = sum(map(len, reports))
    print(f"extract_names     {chars} characters in {elapsed:.2f} s ({chars / elapsed:,.0f} chars/s)")
    for i, names in enumerate(found, 1):
        shown = "、".join(sorted({n.key for n in names if n.strong}))
        print(f"  report {i:>2}: {len(names):>3} names  {shown[:90]}")
    draft = reports[0][:1500]
    figset = FigureSet(figures=[], organisation="东滩镇人民政府", names=["东滩镇"])
    t = time.perf_counter()
    result = check_draft(draft + "。", figset, context=reports[1:4])
    elapsed = time.perf_counter() - t
    kinds = defaultdict(int)
    for f in result.findings:
        kinds[f.kind] += 1
    print(f"check_draft       1,500-character draft, 3 passages: {elapsed * 1000:.0f} ms ({dict(kinds)})")


def table(run: Path) -> str:
    """The per-strategy table of a run folder (Markdown)."""
    from drafter.evaluation.runfiles import load_records
    from drafter.text.script import to_simplified

    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for rec in load_records(run):
        strategy = rec["variant"]["strategy"]
        row = rows[strategy]
        row["outputs"] += 1
        if rec.get("status") != "ok":
            row["errors"] += 1
            continue
        body = "".join(to_simplified(s.get("body", "")) for s in rec["sections"])
        for sec in rec["sections"]:
            kinds = [f["kind"] for f in (sec.get("check") or {}).get("findings", [])]
            row["sections"] += 1
            row["names_ok"] += not any(k in ("stale_name", "copied") for k in kinds)
            row["clean"] += not kinds
            row["stale_name"] += kinds.count("stale_name")
            row["copied"] += kinds.count("copied")
            facts = [re.sub(r"[。；;，,]+$", "", to_simplified(f)) for f in sec.get("facts", [])]
            row["facts"] += len(facts)
            row["facts_in"] += sum(1 for f in facts if f in to_simplified(sec.get("body", "")))
        forbidden = (rec.get("expect") or {}).get("must_not_mention") or []
        row["forbidden"] += sum(1 for term in forbidden if to_simplified(term) in body)
    lines = [
        "| strategy | sections | no stale_name and no copied | stale_name | copied | number guard clean too | facts written verbatim | must-not-mention hits | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for strategy, r in sorted(rows.items()):
        n = r["sections"] or 1
        lines.append(
            f"| {strategy} | {int(r['sections'])} | {int(r['names_ok'])}/{int(r['sections'])} ({100 * r['names_ok'] / n:.0f}%) "
            f"| {int(r['stale_name'])} | {int(r['copied'])} | {int(r['clean'])}/{int(r['sections'])} ({100 * r['clean'] / n:.0f}%) "
            f"| {int(r['facts_in'])}/{int(r['facts'])} | {int(r['forbidden'])} | {int(r['errors'])} |"
        )
    return "\n".join(lines)


def run(out: Path, model: str) -> None:
    """Draft the names suite with both strategies (resumable), then print the table."""
    cmd = [sys.executable, "-m", "drafter.cli", "eval", "run", str(SUITE), "--model", model, "--out", str(out), "--quiet"]
    for s in STRATEGIES:
        cmd += ["--strategy", s]
    print("$", " ".join(cmd), flush=True)
    started = time.perf_counter()
    status = subprocess.run(cmd, cwd=REPO, env=dict(os.environ)).returncode
    print(f"eval run exit {status} after {time.perf_counter() - started:.0f} s", flush=True)
    print(table(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("speed", help="extraction and check speed on the shared corpus")
    p = sub.add_parser("run", help="eval run of evals/suites/names.yaml with compose and masked-names, then the table")
    p.add_argument("--out", type=Path, default=REPO / "evals" / "runs" / "names-0.5b")
    p.add_argument("--model", default=MODEL)
    p = sub.add_parser("table", help="the table of a run folder")
    p.add_argument("run", type=Path)
    args = ap.parse_args()
    if args.cmd == "speed":
        speed()
    elif args.cmd == "run":
        run(args.out, args.model)
    else:
        print(table(args.run))


if __name__ == "__main__":
    main()
