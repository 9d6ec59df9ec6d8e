"""Re-score a run's stored outputs with the current checker, without generating again."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafter.errors import DrafterError, InputError
from drafter.figures import Fact, FigureSet
from drafter.evaluation.metrics import output_metrics
from drafter.evaluation.runfiles import checker_fingerprint, load_records, now, read_json, write_json
from drafter.evaluation.suite import figure_from_dict, load_suite


@dataclass
class RescoreResult:
    """What :func:`rescore_run` did.

    Attributes:
        path: the run folder written. summary: its new summary.
        outputs: outputs re-scored. changed: outputs whose findings changed.
    """

    path: Path
    summary: dict[str, Any]
    outputs: int
    changed: int


def rescore_record(rec: dict[str, Any], expect: dict[str, Any] | None = None) -> bool:
    """Re-run the checker on every section of ``rec`` and recompute its metrics, in place.

    Each section is checked as the engine checked it: its body against its
    figures, with the retrieved passages as context.

    Args:
        rec: a stored record. expect: the case's current expectations (None keeps the stored ones).

    Returns:
        True when the findings changed.
    """
    from drafter.guard.check import check_draft

    if rec.get("status") != "ok":
        return False
    changed = False
    for sec in rec.get("sections", []):
        figures = [figure_from_dict(f) for f in sec.get("figures") or []]
        context = [p.get("text", "") for p in sec.get("passages") or []]
        head = rec.get("figures") or {}
        user = FigureSet(figures=figures, title=head.get("title"), organisation=head.get("organisation"),
                         period=head.get("period"),
                         facts=[Fact(f["text"], f.get("section")) for f in head.get("facts") or []],
                         names=list(head.get("names") or []))
        new = check_draft(sec.get("body", ""), user, context=context).to_dict()
        old = sec.get("check") or {}
        changed = changed or new.get("findings") != old.get("findings") or new.get("figures") != old.get("figures")
        sec["check"] = new
    if expect is not None:
        rec["expect"] = expect
    rec["metrics"] = output_metrics(rec)
    return changed


def rescore_run(run: str | Path, out: str | Path | None = None) -> RescoreResult:
    """Re-score every stored output of a run folder with the current checker and metrics.

    Expectations come from the suite file when it still exists (so edited
    ``must_mention`` lists apply), else from the records.

    Args:
        run: the run folder. out: write the re-scored run to this new folder
            (the original stays as it was) instead of in place.

    Returns:
        A :class:`RescoreResult`.

    Raises:
        InputError: not a run folder, or ``out`` exists.
    """
    from drafter.evaluation.reports import write_reports

    src = Path(run)
    meta = read_json(src / "run.json")
    path = src
    if out is not None:
        path = Path(out)
        if path.exists():
            raise InputError(f"{path} exists; choose a new folder for the re-scored run.")
        path.mkdir(parents=True)
        shutil.copy2(src / "run.json", path / "run.json")
        meta["id"] = path.name
    expects: dict[str, Any] = {}
    suite_path = Path(meta["suite"]["path"])
    if suite_path.exists():
        try:
            expects = {c.id: c.expect.model_dump(mode="json") for c in load_suite(suite_path).cases}
        except DrafterError:
            expects = {}
    records = load_records(src)
    changed = 0
    for rec in records:
        changed += rescore_record(rec, expects.get(rec.get("case")))
    tmp = path / ".records.jsonl.tmp"
    import json

    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, path / "records.jsonl")
    meta["checker"] = checker_fingerprint()
    meta["rescored"] = now()
    write_json(path / "run.json", meta)
    summary = write_reports(path)
    return RescoreResult(path, summary, sum(1 for r in records if r.get("status") == "ok"), changed)
