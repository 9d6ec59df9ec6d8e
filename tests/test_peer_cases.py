"""The peer cases (../shared/cases/peer-cases.jsonl) run through our extractor.

1,338 cases from the test suites of cn2an, JioNLP, Microsoft Recognizers-Text and
the OpenAI evals, restated in one form (conventions in ../shared/cases/README.md).
Done when at least 97% pass overall and at least 95% within each source; every
failing case is listed, with a reason, in tests/peer_failures.md, and this test
checks that list is exact. No case is skipped or rewritten.

How a case is compared (:func:`entries`): each Quantity gives ``(value, unit)``,
a range gives both ends with the range's unit, placeholders give nothing; the
list must equal ``expect`` in order, values compared as Decimals. No conversion
is needed for the money convention (350萬元 → 3500000 元): the extractor itself
scales 万/亿 into the value and reports the unit written after the multiplier,
and folds 角/分 into 元, which is exactly the peers' convention.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from drafter import extract_quantities

CASES_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "cases" / "peer-cases.jsonl"
FAILURES_PATH = Path(__file__).parent / "peer_failures.md"
OVERALL_MIN = 0.97
PER_SOURCE_MIN = 0.95


def load_cases() -> list[dict]:
    """All peer cases, in file order."""
    with CASES_PATH.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def entries(text: str) -> list[tuple[Decimal, str]]:
    """Our answer for one case text, in the peer-case form."""
    out = []
    for q in extract_quantities(text):
        out.extend((v, q.unit) for v in q.values)
    return out


def expected(case: dict) -> list[tuple[Decimal, str]]:
    return [(Decimal(v), u) for v, u in case["expect"]]


def listed_failures() -> set[tuple[str, str]]:
    """(source, text) of every case tests/peer_failures.md lists as failing."""
    found = set()
    for line in FAILURES_PATH.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^- `(\".*\")` — `([^`]+)`", line)
        if m:
            found.add((m.group(2), json.loads(m.group(1))))
    return found


def accuracy_table(cases: list[dict], passed: list[bool]) -> tuple[str, dict[str, float], float]:
    total, ok = Counter(), Counter()
    for case, good in zip(cases, passed):
        total[case["source"]] += 1
        ok[case["source"]] += good
    per_source = {src: ok[src] / total[src] for src in total}
    overall = sum(passed) / len(passed)
    lines = [f"{'accuracy':>8} {'pass/n':>9}  source"]
    lines += [f"{per_source[s]:>8.1%} {ok[s]:>4}/{total[s]:<4}  {s}" for s in sorted(total)]
    lines.append(f"{overall:>8.1%} {sum(passed):>4}/{len(passed):<4}  overall")
    return "\n".join(lines), per_source, overall


@pytest.mark.skipif(not CASES_PATH.exists(), reason=f"peer cases not found at {CASES_PATH}")
def test_peer_accuracy(capsys: pytest.CaptureFixture[str], record_property) -> None:
    cases = load_cases()
    assert len(cases) == 1338
    passed = [entries(c["text"]) == expected(c) for c in cases]
    table, per_source, overall = accuracy_table(cases, passed)
    with capsys.disabled():
        print("\npeer cases through drafter.extract_quantities\n" + table)
    record_property("peer_accuracy_overall", round(overall, 4))
    for src, acc in per_source.items():
        record_property(f"peer_accuracy[{src}]", round(acc, 4))

    failing = {(c["source"], c["text"]) for c, good in zip(cases, passed) if not good}
    listed = listed_failures()
    assert failing - listed == set(), "failing cases missing from tests/peer_failures.md"
    assert listed - failing == set(), "tests/peer_failures.md lists cases that now pass"
    assert overall >= OVERALL_MIN, table
    low = {s: a for s, a in per_source.items() if a < PER_SOURCE_MIN}
    assert not low, table
