"""The page's server state and the work behind its routes: the one :class:`Drafter`, the model,
the queue, the drafts folder; the draft job; a draft as the page shows it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from drafter.api import Drafter
from drafter.config import Settings
from drafter.errors import DrafterError, InputError
from drafter.figures import FigureSet
from drafter.corpus.kinds import label
from drafter.llm.client import LLMClient
from drafter.drafting.report import report_title
from drafter.text.script import to_simplified, to_traditional
from drafter.web import drafts as dr
from drafter.web.jobs import JobQueue, ServerModel
from drafter.web.recheck import recheck


class Web:
    """The server's state: settings, the one :class:`Drafter`, the model, the queue, the drafts folder."""

    def __init__(self, settings: Settings, llm: LLMClient | None, embedder: Any, home: Path, token: str | None) -> None:
        self.settings, self.home, self.token = settings, home, token
        self.model = ServerModel(settings, llm)
        self.drafter = Drafter(settings, llm=self.model, embedder=embedder)
        self.drafts = dr.DraftStore(home / "drafts")
        self.uploads = home / "uploads"
        self.corpus_dir = home / "corpus"
        self.queue: JobQueue | None = None
        self.locks: dict[str, threading.Lock] = {}

    def lock(self, did: str) -> threading.Lock:
        """The lock of one draft's files (edits and the draft job take turns)."""
        return self.locks.setdefault(did, threading.Lock())


def now() -> str:
    """Local time as ``YYYY-MM-DD HH:MM:SS`` (shown in the list of drafts)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


def rel(src: str, root: Path) -> str:
    """``src`` relative to ``root`` when it lies below it (upload folder names), else as it is."""
    try:
        return str(Path(src).resolve().relative_to(root.resolve()))
    except ValueError:
        return src


def figset_of(rec: dict[str, Any]) -> FigureSet:
    """The draft's figures as they stand.

    Raises:
        InputError: the saved table is no longer valid (edited by hand).
    """
    figset, row_errors, errors = dr.validate_document(rec["figures"])
    if figset is None:
        raise InputError("The draft's figures are no longer valid: " + "; ".join(e for e in [*row_errors, *errors] if e))
    return figset


def count_findings(rec: dict[str, Any], figset: FigureSet, fresh: bool = False) -> int:
    """Findings of the whole draft (for the list of drafts); each section's count is kept in its record."""
    for sec in rec["sections"]:
        if fresh or "n_findings" not in sec:
            fs = dr.section_figset(figset, sec["figures"])
            sec["n_findings"] = len(recheck(sec["body"], fs, sec["kind"], sec.get("context", [])).all_findings())
    return sum(sec["n_findings"] for sec in rec["sections"])


def busy(web: Web, rec: dict[str, Any]) -> bool:
    """True while the draft is queued or being written (a draft cut off by a restart is not)."""
    job = web.queue.get(rec["id"]) if web.queue else None
    return rec["status"] in ("queued", "running") and job is not None and job.state in ("queued", "running")


def draft_view(web: Web, rec: dict[str, Any]) -> dict[str, Any]:
    """A draft as the page shows it: status, figures table, every section re-checked (:func:`drafts.section_view`)."""
    figset = figset_of(rec)
    job = web.queue.get(rec["id"]) if web.queue else None
    status = rec["status"]
    if status in ("queued", "running") and job is None:
        status = "interrupted"  # the server stopped while it was being written
    return {
        "id": rec["id"], "title": rec["title"], "status": status, "created": rec["created"], "error": rec["error"],
        "missing": rec["missing"], "script": rec["script"], "figures": rec["figures"],
        "sections": [dr.section_view(s, figset, i) for i, s in enumerate(rec["sections"])],
        "job": job.id if job and job.state in ("queued", "running") else None,
    }


def run_draft(web: Web, did: str, figset: FigureSet, sections: list[str], outline: Any, script: str, emit) -> dict:
    """The draft job: write with the library, keeping each section as it is done.

    Raises:
        DrafterError: the error that stopped the draft (the job's ``error`` event); the
            record is saved first, ``failed`` or, with sections finished, ``incomplete``.
    """
    def convert(text: str) -> str:
        return to_traditional(text) if script == "traditional" else text

    rec = web.drafts.read(did)
    rec["status"], rec["title"] = "running", convert(to_simplified(report_title(figset)))
    web.drafts.write(did, "draft.json", rec)

    def on_event(name: str, payload: Any) -> None:
        if name == "section_start":
            emit("section_start", {"kind": payload.kind, "heading": payload.heading or label(payload.kind)})
        elif name == "token":
            emit("token", payload)
        elif name == "section_done":
            ids = [s.chunk_id for s in payload.sources]
            context = [c.text for c in web.drafter.store.get(ids)[0]] if ids else []
            with web.lock(did):
                rec["sections"].append(dr.section_record(payload, context, script))
                web.drafts.write(did, "draft.json", rec)
            view = dr.section_view(rec["sections"][-1], figset, len(rec["sections"]) - 1)
            emit("section", view)

    try:
        draft = web.drafter.write(figset, sections=sections or None, outline=outline, script=script, on_event=on_event)
    except DrafterError as exc:  # before any section was finished
        _stopped(web, did, rec, figset, str(exc))
        raise
    if not draft.complete:  # an error stopped it part-way: the finished sections are kept
        _stopped(web, did, rec, figset, draft.error, [convert(m) for m in draft.missing])
        raise DrafterError(draft.error)  # the job ends with the error, which the page shows
    with web.lock(did):
        rec["status"], rec["title"], rec["with_title"] = "done", convert(draft.title), draft.with_title
        rec["findings"] = count_findings(rec, figset)
        rec["updated"] = now()
        web.drafts.write(did, "draft.json", rec)
    return {"id": did, "findings": rec["findings"]}


def _stopped(web: Web, did: str, rec: dict[str, Any], figset: FigureSet, error: str, missing: list[str] | None = None) -> None:
    """Save a draft an error stopped: ``failed`` with no section finished, else ``incomplete``
    with the sections not written in ``missing``."""
    with web.lock(did):
        rec["status"], rec["error"] = ("failed" if not rec["sections"] else "incomplete"), error
        if missing is not None:
            rec["missing"] = missing
        rec["findings"] = count_findings(rec, figset)
        web.drafts.write(did, "draft.json", rec)
