"""The number guard's precision suite (issue 13): quiet on clean report prose, loud on planted faults.

Paragraphs written for Drafter (evals/checker/written*.yaml) and paragraphs of the 11 real reports in
../shared/corpus/ (evals/checker/real*.yaml: locators and the clerk's figures tables, never the text),
checked as written and with one fault planted per copy. Done when ≥ 95% of clean paragraphs give no
finding and ≥ 95% of planted faults are named with the right kind.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SHARED_FILE
from drafter.guard.check import check_draft
from drafter.errors import InputError
from drafter.evaluation.checker import DEFAULT_SUITES, FAULT_KINDS, evaluate_checker, load_guard_suite, plant_faults

SUITES = REPO / "evals" / "checker"
WRITTEN = [SUITES / "written.yaml", SUITES / "written-holdout.yaml"]
REAL = [SUITES / "real.yaml", SUITES / "real-holdout.yaml"]
needs_shared = pytest.mark.skipif(not SHARED_FILE.exists(), reason=f"real reports not found at {SHARED_FILE}")
MIN_CLEAN = 0.95
MIN_RECALL = 0.95


@pytest.fixture(scope="module")
def written_report():
    return evaluate_checker(WRITTEN)


@pytest.fixture(scope="module")
def real_report():
    if not SHARED_FILE.exists():
        pytest.skip("real reports not available")
    return evaluate_checker(REAL)


def test_suite_files_are_the_defaults() -> None:
    assert set(DEFAULT_SUITES) == set(WRITTEN + REAL)


def test_at_least_60_written_paragraphs_of_every_binding_class() -> None:
    cases = load_guard_suite(WRITTEN[0])
    assert len(cases) >= 60
    tags = Counter(t for c in cases for t in c.tags)
    for tag in ("paired", "ellipsis", "respectively", "before-noun", "threshold", "range", "rank", "duration", "suffix"):
        assert tags[tag] >= 3, (tag, tags)


@needs_shared
def test_real_paragraphs_cover_the_11_reports() -> None:
    cases = [c for s in REAL for c in load_guard_suite(s)]
    reports = {int(m.group(1)) for s in REAL for m in re.finditer(r"report: (\d+)", s.read_text(encoding="utf-8"))}
    assert reports == set(range(1, 12))
    assert len(cases) >= 80 and sum(len(c.figures) for c in cases) >= 400


@needs_shared
def test_no_report_text_is_copied_into_the_project() -> None:
    """Locators only: no run of 16 characters of the real reports stands in the suite files."""
    source = re.sub(r"\s+", "", SHARED_FILE.read_text(encoding="utf-8"))
    grams = {source[i : i + 16] for i in range(0, len(source) - 16)}
    for path in SUITES.glob("*.yaml"):
        text = re.sub(r"\s+", "", path.read_text(encoding="utf-8"))
        assert not any(text[i : i + 16] in grams for i in range(len(text) - 16)), path


def test_written_paragraphs_are_quiet_and_faults_named(written_report) -> None:
    r = written_report
    assert r.clean_share >= MIN_CLEAN, r.render(show_failures=True)
    assert r.recall >= MIN_RECALL, r.render(show_failures=True)
    assert sum(r.paragraphs.values()) >= 84 and sum(r.faults.values()) >= 300
    for kind in FAULT_KINDS:
        assert r.faults[kind] >= 40 and r.right_kind[kind] / r.faults[kind] >= 0.9, (kind, r.render())


@needs_shared
def test_real_paragraphs_are_quiet_and_faults_named(real_report) -> None:
    r = real_report
    assert r.clean_share >= MIN_CLEAN, r.render(show_failures=True)
    assert r.recall >= MIN_RECALL, r.render(show_failures=True)
    assert r.source_faults >= 40 and r.source_faults_found == r.source_faults  # the reports' own xx placeholders
    for kind in FAULT_KINDS:
        assert r.faults[kind] >= 30 and r.right_kind[kind] / r.faults[kind] >= 0.9, (kind, r.render())


def test_planted_faults_change_one_thing_each() -> None:
    for case in load_guard_suite(WRITTEN[0])[:20]:
        faults = plant_faults(case)
        assert len({f.kind for f in faults}) == len(faults) >= 1
        for f in faults:
            assert f.expect == FAULT_KINDS[f.kind] and f.text != case.text
            assert all(0 <= a < b <= len(f.text) for a, b in f.spans)
            if f.kind in ("number", "unit"):  # the text around the change is untouched
                (a, b), = f.spans
                assert f.text[:a] == case.text[:a]
        assert faults == plant_faults(case)  # deterministic


def test_a_planted_fault_gives_a_new_finding() -> None:
    case = load_guard_suite(WRITTEN[0])[0]
    clean = {(f.kind, f.text) for f in check_draft(case.text, list(case.figures)).findings}
    for fault in plant_faults(case):
        got = check_draft(fault.text, list(case.figures), [case.context] if fault.kind == "stale" else None)
        assert {(f.kind, f.text) for f in got.findings} - clean, fault


def test_bad_suites_are_clear_errors(tmp_path: Path) -> None:
    def suite(data) -> Path:
        p = tmp_path / "s.yaml"
        p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return p

    with pytest.raises(InputError, match="not found"):
        load_guard_suite(tmp_path / "none.yaml")
    with pytest.raises(InputError, match="unknown key"):
        load_guard_suite(suite({"cases": [{"id": "a", "text": "x", "figures": [], "bogus": 1}]}))
    with pytest.raises(InputError, match=r"\[name, value, unit\]"):
        load_guard_suite(suite({"cases": [{"id": "a", "text": "x", "figures": [["a", 1]]}]}))
    with pytest.raises(InputError, match="value"):
        load_guard_suite(suite({"cases": [{"id": "a", "text": "x", "figures": [["a", "很多", "个"]]}]}))
    if SHARED_FILE.exists():
        with pytest.raises(InputError, match="finds 0 paragraphs"):
            load_guard_suite(suite({"source": str(SHARED_FILE), "cases": [{"id": "a", "locate": {"report": 3, "starts": "没有这一段"}}]}))
