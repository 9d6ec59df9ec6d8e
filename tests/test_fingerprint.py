"""The checker fingerprint covers the whole guard package and what it imports: a change in any
guard module (or a module or data file it reads) changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from drafter.evaluation.runfiles import checker_fingerprint
from drafter.guard.fingerprint import PACKAGE_ROOT, guard_files
from drafter.guard.fingerprint import checker_fingerprint as fingerprint_of


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pkg") / "drafter"
    shutil.copytree(PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_run_records_the_guard_fingerprint():
    assert checker_fingerprint() == fingerprint_of() == fingerprint_of(PACKAGE_ROOT)


def test_every_guard_module_and_what_it_reads_is_covered():
    rel = {p.relative_to(PACKAGE_ROOT).as_posix() for p in guard_files()}
    assert {p.relative_to(PACKAGE_ROOT).as_posix() for p in (PACKAGE_ROOT / "guard").rglob("*.py")} <= rel
    # imported from elsewhere (script.py was once missed by a hand-made list) and the data the guard loads
    assert {"text/script.py", "text/punctuation.py", "figures/model.py", "figures/values.py", "data/units.yaml", "data/binding.yaml", "data/fixed_phrases.txt",
            "data/name_patterns.yaml", "data/set_phrases.txt", "data/genre.yaml"} <= rel
    # not what drafting alone reads
    assert "data/prompts/work.md" not in rel and "drafting/engine.py" not in rel


def test_a_change_in_any_covered_file_changes_the_fingerprint(package_copy):
    before = fingerprint_of(package_copy)
    files = guard_files(package_copy)
    assert len(files) > 15
    for path in files:
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        try:
            assert fingerprint_of(package_copy) != before, path
        finally:
            path.write_bytes(original)
    assert fingerprint_of(package_copy) == before


def test_a_new_guard_module_changes_the_fingerprint(package_copy):
    before = fingerprint_of(package_copy)
    extra = package_copy / "guard" / "extra_rule.py"
    extra.write_text('"""A new rule."""\n', encoding="utf-8")
    try:
        assert fingerprint_of(package_copy) != before
    finally:
        extra.unlink()


def test_files_outside_the_guard_do_not_change_it(package_copy):
    before = fingerprint_of(package_copy)
    prompt = package_copy / "data" / "prompts" / "work.md"
    original = prompt.read_bytes()
    prompt.write_bytes(original + b"\n")
    try:
        assert fingerprint_of(package_copy) == before
    finally:
        prompt.write_bytes(original)
