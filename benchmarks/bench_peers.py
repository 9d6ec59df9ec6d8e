"""Peer cases through Drafter's extractor, cn2an and JioNLP, side by side.

Usage::

    python benchmarks/bench_peers.py

Reads ``../shared/cases/peer-cases.jsonl`` (see tests/test_peer_cases.py for the
comparison rules) and prints, per source, the share of cases answered exactly:

- **drafter**: ``extract_quantities``, values and units, on every case;
- **cn2an** (``cn2an.cn2an(text, "smart")``; ``transform`` for percent) on the
  cases it applies to: one expected number with no unit, or one percentage;
- **JioNLP** (``jio.ner.extract_money``, else ``jio.parse_money`` on the whole
  text) on money cases and money ranges whose every expected entry is money.

cn2an and JioNLP report no unit as written (JioNLP turns 块 into 元), so on their
subsets all three are compared on values only; the ``drafter`` column on the
full set also requires the unit. JioNLP is optional (``pip install jionlp``).
"""

from __future__ import annotations

import re
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_peer_cases import CASES_PATH, entries, expected, load_cases  # noqa: E402

from drafter.guard.units import unit_kind  # noqa: E402

Values = list[Decimal]


def _dec(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def cn2an_applies(case: dict) -> bool:
    return case["kind"] in ("number", "percent") and len(case["expect"]) == 1 and case["expect"][0][1] in ("", "%")


def cn2an_values(case: dict) -> Values:
    import cn2an

    try:
        if case["expect"][0][1] == "%":
            out = cn2an.transform(case["text"], "cn2an")
            return [Decimal(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?=%)", out)]
        return [Decimal(str(cn2an.cn2an(case["text"], "smart")))]
    except Exception:  # cn2an raises ValueError and others on text it cannot read
        return []


def jionlp_applies(case: dict) -> bool:
    return case["kind"] in ("money", "range") and all(unit_kind(u) == "money" for _, u in case["expect"])


def jionlp_values(case: dict) -> Values:
    import jionlp as jio

    def nums(detail: dict) -> Values:
        raw = detail["num"] if isinstance(detail["num"], list) else [detail["num"]]
        return [v for v in map(_dec, raw) if v is not None]

    try:
        found = jio.ner.extract_money(case["text"])
        if found:
            return [v for item in found for v in nums(item["detail"])]
        return nums(jio.parse_money(case["text"]))
    except Exception:  # JioNLP raises on text it cannot parse
        return []


def _ours_values(case: dict) -> Values:
    return [v for v, _ in entries(case["text"])]


def _score(cases: list[dict], predict: Callable[[dict], Values]) -> tuple[int, int]:
    good = sum(predict(c) == [v for v, _ in expected(c)] for c in cases)
    return good, len(cases)


def _fmt(good: int, n: int) -> str:
    return f"{good / n:6.1%} ({n:>3})" if n else "n/a"


def _pct(good: int, n: int) -> str:
    return f"{good / n:.1%}" if n else "n/a"


def main() -> None:
    warnings.simplefilter("ignore")  # cn2an warns on every text it cannot read
    if not CASES_PATH.exists():
        sys.exit(f"peer cases not found: {CASES_PATH}")
    try:
        import jionlp  # noqa: F401

        have_jio = True
    except ImportError:
        have_jio = False
        print("JioNLP not installed (pip install jionlp); its column is n/a.\n")
    cases = load_cases()
    by_source: dict[str, list[dict]] = defaultdict(list)
    for case in cases:
        by_source[case["source"]].append(case)
    by_source["ALL"] = cases
    head = f"{'source':<44} {'n':>4}  {'drafter':>7}  {'cn2an (n)':>12} {'drafter':>7}  {'JioNLP (n)':>12} {'drafter':>7}"
    print(head + "\n" + "-" * len(head))
    for source, group in by_source.items():
        ours = sum(entries(c["text"]) == expected(c) for c in group) / len(group)
        c_cases = [c for c in group if cn2an_applies(c)]
        j_cases = [c for c in group if have_jio and jionlp_applies(c)]
        c_peer, c_ours = _score(c_cases, cn2an_values), _score(c_cases, _ours_values)
        j_peer, j_ours = _score(j_cases, jionlp_values), _score(j_cases, _ours_values)
        name = source if len(source) <= 44 else "…" + source[-43:]
        print(
            f"{name:<44} {len(group):>4}  {ours:7.1%}  {_fmt(*c_peer):>12} "
            f"{_pct(*c_ours):>7}  {_fmt(*j_peer):>12} {_pct(*j_ours):>7}"
        )
    print("\ndrafter = values and units on all cases of the source; the drafter column right of a peer "
          "= values only, on the cases that peer applies to.")


if __name__ == "__main__":
    main()
