"""The number guard's own precision and recall, on report prose with planted faults.

A *guard suite* is a YAML file of paragraphs, each with the figures table a
clerk would type for exactly the numbers in it (``evals/checker/written.yaml``,
our own writing; ``evals/checker/real.yaml``, paragraphs of the real reports in
``../shared/corpus/`` named by a locator, never copied)::

    name: written
    context: old-report.txt            # optional: an old report, for stale faults
    source: ../shared/corpus/000_a0d734900480c52c.txt   # only for located paragraphs
    cases:
      - id: w01
        text: 全村共有脱贫户120户356人。
        figures: [[脱贫户, 120, 户], [脱贫人口, 356, 人]]
        tags: [paired]
      - id: r01
        locate: {report: 3, starts: "（二）坚持细化举措"}   # a paragraph of the source file
        figures: [...]

A locator names the report by its number (the line ``…彙報3`` opening it) and
the paragraph by its first characters (either script, spaces ignored).
Figures go through the figures-file reader (:func:`drafter.figures.figures_from_data`),
so ranges (``2-3``) and approximations (``500余``) read as in a figures file.

:func:`evaluate_checker` checks every paragraph as written (it should give no
finding: a finding on it is a false alarm), then plants faults, one per copy,
and checks again (the faults are planted by :mod:`drafter.evaluation.faults`):

``number``
    a figure's number changed by one digit (12.6公里 → 12.9公里): ``altered``;
``unit``
    its unit changed (8350元 → 8350万元, 95% → 95个百分点, 2.5万头 → 2.5头): ``unit_mismatch``;
``swap``
    the numbers of two figures in the same unit exchanged (生猪存栏 ↔ 生猪出栏): ``misplaced``;
``stale``
    a clause of the old report inserted (完成天然气改造93户), with that report as context: ``stale``.

A fault is *detected* when a finding overlaps the changed text, and detected
*with the right kind* when that finding has the kind above. Precision counts
every finding on the faulted copies: those at the planted fault are right, the
rest (and every finding on a clean paragraph) are false alarms.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drafter.guard.check import check_draft
from drafter.config import REPO_ROOT
from drafter.errors import InputError
from drafter.figures import Figure, figures_from_data
from drafter.guard.findings import Finding
from drafter.guard.numerals import fold_text
from drafter.evaluation.faults import FAULT_KINDS, PlantedFault, plant_faults

__all__ = ["DEFAULT_SUITES", "FAULT_KINDS", "CheckerReport", "GuardCase", "PlantedFault", "evaluate_checker",
           "load_guard_suite", "plant_faults"]

DEFAULT_SUITES = tuple(REPO_ROOT / "evals" / "checker" / f"{n}.yaml" for n in ("written", "written-holdout", "real", "real-holdout"))
"""The suites ``drafter eval checker`` runs when none is given."""

_CASE_KEYS = {"id", "text", "locate", "figures", "tags", "note", "expect"}
_SUITE_KEYS = {"name", "description", "context", "source", "cases"}
_REPORT_LINE = re.compile(r"^\s*[乡鄉]村振[兴興][驻駐]村工作情[况況][汇彙][报報](\d+)\s*$")


@dataclass(frozen=True)
class GuardCase:
    """One paragraph with its figures table.

    Attributes:
        id: the case id.
        suite: the suite's name.
        text: the paragraph.
        figures: the clerk's figures for it.
        context: the old report of the suite (for stale faults), or ``""``.
        tags: free labels (paired, ellipsis, respectively, rank …).
        expect: findings the paragraph as written must give, as ``(kind, text)``:
            real faults of a real report (a placeholder 近20xx余万元 left in it).
    """

    id: str
    suite: str
    text: str
    figures: tuple[Figure, ...]
    context: str = ""
    tags: tuple[str, ...] = ()
    expect: tuple[tuple[str, str], ...] = ()


@dataclass
class CheckerReport:
    """Precision and recall of the number guard on a guard suite.

    Attributes:
        paragraphs: paragraphs checked, per suite.
        clean: of those, paragraphs with no finding, per suite.
        false_alarms: findings on clean paragraphs, per kind.
        faults: planted faults, per fault kind.
        detected: faults with a finding on the changed text, per fault kind.
        right_kind: faults named with the right kind, per fault kind.
        findings_on_faults: findings on the faulted copies (the paragraph's ``expect`` findings
            aside); ``at_fault`` of them point at the fault.
        source_faults: faults the real reports hold as written (a case's ``expect``);
            ``source_faults_found`` of them found. A paragraph counts as clean
            when its findings are exactly those.
        failures: one dict per false alarm and per fault not named right (for reading).
    """

    paragraphs: Counter = field(default_factory=Counter)
    clean: Counter = field(default_factory=Counter)
    false_alarms: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    detected: Counter = field(default_factory=Counter)
    right_kind: Counter = field(default_factory=Counter)
    findings_on_faults: int = 0
    at_fault: int = 0
    source_faults: int = 0
    source_faults_found: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clean_share(self) -> float:
        """Share of clean paragraphs with no finding (the guard's quietness)."""
        n = sum(self.paragraphs.values())
        return sum(self.clean.values()) / n if n else 1.0

    @property
    def recall(self) -> float:
        """Share of planted faults named with the right kind."""
        n = sum(self.faults.values())
        return sum(self.right_kind.values()) / n if n else 1.0

    @property
    def detection(self) -> float:
        """Share of planted faults with any finding on the changed text."""
        n = sum(self.faults.values())
        return sum(self.detected.values()) / n if n else 1.0

    @property
    def precision(self) -> float:
        """Findings pointing at a planted fault / all findings, clean paragraphs and faulted copies."""
        total = self.findings_on_faults + sum(self.false_alarms.values())
        return self.at_fault / total if total else 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the figures and the failures)."""
        return {
            "clean_share": round(self.clean_share, 4), "recall": round(self.recall, 4),
            "detection": round(self.detection, 4), "precision": round(self.precision, 4),
            "paragraphs": dict(self.paragraphs), "clean": dict(self.clean), "false_alarms": dict(self.false_alarms),
            "faults": dict(self.faults), "detected": dict(self.detected), "right_kind": dict(self.right_kind),
            "source_faults": self.source_faults, "source_faults_found": self.source_faults_found,
            "failures": self.failures,
        }

    def render(self, show_failures: bool = False) -> str:
        """A plain-text table of the figures (and, optionally, every failure)."""
        lines = ["number guard on report prose", f"{'suite':<16} {'paragraphs':>10} {'clean':>6} {'share':>7}"]
        for s in sorted(self.paragraphs):
            n, c = self.paragraphs[s], self.clean[s]
            lines.append(f"{s:<16} {n:>10} {c:>6} {c / n if n else 1:>7.1%}")
        lines.append(f"{'all':<16} {sum(self.paragraphs.values()):>10} {sum(self.clean.values()):>6} {self.clean_share:>7.1%}")
        fa = ", ".join(f"{k} {v}" for k, v in self.false_alarms.most_common()) or "none"
        lines += [f"false alarms on clean paragraphs: {sum(self.false_alarms.values())} ({fa})",
                  f"faults the real reports hold as written, found: {self.source_faults_found}/{self.source_faults}", "",
                  f"{'fault':<8} {'expect':<14} {'planted':>7} {'detected':>8} {'right kind':>10}"]
        for k, expect in FAULT_KINDS.items():
            n = self.faults[k]
            lines.append(f"{k:<8} {expect:<14} {n:>7} {self.detected[k]:>8} {self.right_kind[k]:>10}"
                         f"  {self.right_kind[k] / n if n else 1:.1%}")
        lines += [f"{'all':<8} {'':<14} {sum(self.faults.values()):>7} {sum(self.detected.values()):>8} "
                  f"{sum(self.right_kind.values()):>10}  {self.recall:.1%}", "",
                  f"clean share {self.clean_share:.1%}   recall (right kind) {self.recall:.1%}   "
                  f"detection {self.detection:.1%}   precision {self.precision:.1%}"]
        if show_failures:
            for f in self.failures:
                lines.append(f"- {f['case']} {f['what']}: {f['detail']}")
                lines.extend(f"    {x}" for x in f["findings"])
        return "\n".join(lines)


def _paragraphs(source: Path) -> dict[int, list[str]]:
    """Report number → its paragraphs (non-empty lines after the report's number line)."""
    out: dict[int, list[str]] = {}
    current = None
    for line in source.read_text(encoding="utf-8").splitlines():
        m = _REPORT_LINE.match(line)
        if m:
            current = int(m.group(1))
            out[current] = []
        elif current is not None and line.strip():
            out[current].append(line.strip())
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", fold_text(text))


def load_guard_suite(path: str | Path) -> list[GuardCase]:
    """Read a guard suite (see the module docstring).

    Args:
        path: the suite YAML; ``context`` and ``source`` resolve against the
            repository root when they start with ``../`` or lie in it, else
            against the suite's folder.

    Returns:
        Its cases; located paragraphs are read from the source file.

    Raises:
        InputError: a malformed suite, an unknown key, a locator that finds no
            paragraph or several, a source file that is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: guard suite not found.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise InputError(f"{path}: a guard suite is a mapping with a 'cases' list.")
    unknown = set(data) - _SUITE_KEYS
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}.")
    name = str(data.get("name") or path.stem)

    def resolve(rel: str) -> Path:
        for base in (path.parent, REPO_ROOT):
            if (base / rel).exists():
                return base / rel
        raise InputError(f"{path}: '{rel}' not found (next to the suite or the repository root).")

    context = resolve(data["context"]).read_text(encoding="utf-8") if data.get("context") else ""
    paragraphs = _paragraphs(resolve(data["source"])) if data.get("source") else {}
    cases, seen = [], set()
    for n, raw in enumerate(data["cases"], 1):
        where = f"{path}: case #{n}"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: a case is a mapping.")
        bad = set(raw) - _CASE_KEYS
        if bad:
            raise InputError(f"{where}: unknown key(s) {', '.join(sorted(bad))}.")
        cid = str(raw.get("id") or f"{name}-{n}")
        where = f"{path}: case {cid}"
        if cid in seen:
            raise InputError(f"{where}: duplicate id.")
        seen.add(cid)
        if "locate" in raw:
            loc = raw["locate"] or {}
            report, starts = loc.get("report"), _squash(str(loc.get("starts") or ""))
            hits = [p for p in paragraphs.get(report, []) if starts and _squash(p).startswith(starts)]
            if len(hits) != 1:
                raise InputError(f"{where}: the locator finds {len(hits)} paragraphs in report {report}; it must find one.")
            text = hits[0]
        elif isinstance(raw.get("text"), str):
            text = raw["text"].strip()
        else:
            raise InputError(f"{where}: give 'text' or 'locate'.")
        rows = raw.get("figures") or []
        if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == 3 for r in rows):
            raise InputError(f"{where}: 'figures' is a list of [name, value, unit].")
        entries = [{"name": str(r[0]), "value": str(r[1]), "unit": "" if r[2] is None else str(r[2])} for r in rows]
        figures = figures_from_data({"figures": entries}, Path(f"{path.name}:{cid}")).figures if entries else []
        expect = raw.get("expect") or []
        if not isinstance(expect, list) or not all(isinstance(e, list) and len(e) == 2 for e in expect):
            raise InputError(f"{where}: 'expect' is a list of [kind, text].")
        cases.append(GuardCase(cid, name, text, tuple(figures), context, tuple(raw.get("tags") or ()),
                               tuple((str(k), str(t)) for k, t in expect)))
    return cases


def _overlaps(f: Finding, spans: tuple[tuple[int, int], ...]) -> bool:
    return f.start >= 0 and any(f.start < b and a < f.end for a, b in spans)


def _show(f: Finding) -> str:
    return f"{f.kind} {f.text or '-'} [{f.figure or ''}] {f.explanation} | {f.binding}"


def evaluate_checker(suites: list[str | Path] | tuple[str | Path, ...] = DEFAULT_SUITES) -> CheckerReport:
    """Check every paragraph of the suites clean, then with each planted fault.

    Args:
        suites: guard suite files (default :data:`DEFAULT_SUITES`); a suite of
            located paragraphs whose source file is absent raises.

    Returns:
        A :class:`CheckerReport`.

    Raises:
        InputError: a suite cannot be read.
    """
    report = CheckerReport()
    for suite in suites:
        for case in load_guard_suite(suite):
            figures = list(case.figures)
            clean = check_draft(case.text, figures)
            report.paragraphs[case.suite] += 1
            expected = Counter(case.expect)
            got = Counter((f.kind, f.text) for f in clean.findings)
            extra, lost = got - expected, expected - got
            report.source_faults += sum(expected.values())
            report.source_faults_found += sum((expected & got).values())
            if not extra and not lost:
                report.clean[case.suite] += 1
            else:
                report.false_alarms.update(k for k, _ in extra.elements())
                report.failures.append({"case": case.id, "what": "false alarm" if extra else "source fault not found",
                                        "detail": case.text[:60] + (f" (expected {sorted(lost)})" if lost else ""),
                                        "findings": [_show(f) for f in clean.findings]})
            for fault in plant_faults(case, clean):
                context = [case.context] if fault.kind == "stale" else None
                result = check_draft(fault.text, figures, context)
                report.faults[fault.kind] += 1
                at = [f for f in result.findings if _overlaps(f, fault.spans)]
                known = Counter(case.expect)  # the report's own faults, found again: neither right nor wrong here
                rest = Counter((f.kind, f.text) for f in result.findings if f not in at)
                report.findings_on_faults += len(at) + sum((rest - known).values())
                report.at_fault += len(at)
                if at:
                    report.detected[fault.kind] += 1
                if any(f.kind == fault.expect for f in at):
                    report.right_kind[fault.kind] += 1
                else:
                    report.failures.append({"case": case.id, "what": f"{fault.kind} fault not named {fault.expect}",
                                            "detail": fault.change, "findings": [_show(f) for f in result.findings]})
    return report
