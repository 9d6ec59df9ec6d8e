"""The number guard on report prose: false alarms on clean paragraphs, planted faults named right.

Usage::

    python benchmarks/bench_checker.py            # every guard suite in evals/checker/
    python benchmarks/bench_checker.py --failures # and list each false alarm and each fault missed

Prints, per suite and overall, the two figures of issue 13 — the share of clean paragraphs
with no finding, and the share of planted faults (a number changed by a digit, a unit
changed, two figures' numbers swapped, an old report's clause inserted) detected with the
right kind — plus detection, precision and the checking speed. The real-report suites need
../shared/corpus/ and are skipped without it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drafter.evaluation.checker import DEFAULT_SUITES, evaluate_checker, load_guard_suite  # noqa: E402
from drafter.errors import InputError  # noqa: E402


def main() -> None:
    suites = []
    for path in DEFAULT_SUITES:
        try:
            load_guard_suite(path)
            suites.append(path)
        except InputError as exc:
            print(f"skipped {path.name}: {exc}")
    started = time.perf_counter()
    report = evaluate_checker(suites)
    seconds = time.perf_counter() - started
    print(report.render(show_failures="--failures" in sys.argv))
    checks = sum(report.paragraphs.values()) + sum(report.faults.values())
    print(f"\n{checks} checks in {seconds:.1f} s ({1000 * seconds / checks:.0f} ms per paragraph)")
    for name in sorted(report.paragraphs):
        sub = evaluate_checker([p for p in suites if load_guard_suite(p)[0].suite == name])
        print(f"{name:<16} clean {sub.clean_share:6.1%}   right kind {sub.recall:6.1%}   "
              f"({sum(sub.paragraphs.values())} paragraphs, {sum(sub.faults.values())} faults)")


if __name__ == "__main__":
    main()
