"""Drafts kept with their inputs, so that yesterday's draft can be reopened.

Each draft lives in ``$DRAFTER_HOME/drafts/<id>/``:

* ``inputs.json`` — what was asked for, as submitted: the figures table
  (title, organisation, period, figures, facts, names), the sections or
  outline, the script; written once.
* ``figures.<ext>`` — the uploaded figures file, when the table came from one.
* ``outline.yaml`` — the outline, when one was given.
* ``draft.json`` — the draft as it stands: per section its kind, heading, the
  text as the model and Drafter wrote it (``original``), the text as edited
  (``body``), the figures it carries, the passages it drew on (their text, so
  re-checking needs no store), warnings; and the figures table as it stands
  (a figure whose value was changed in the page). Written atomically on every
  change.

Draft ids are made here (UTC time + random suffix) and checked against
:data:`ID_RE` on every use, so a request cannot name a folder outside ``drafts/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from drafter.output.draft import Draft, SectionDraft, Source
from drafter.errors import InputError
from drafter.figures import Figure, FigureSet, check_rows, figures_from_data
from drafter.text.script import to_traditional
from drafter.web.recheck import figure_states, recheck

ID_RE = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
"""Form of a draft id: ``20250301-142500-3fa2c1``."""
HEADER_FIELDS = ("title", "organisation", "period")


class DraftStore:
    """The drafts folder.

    Args:
        root: the folder (``$DRAFTER_HOME/drafts``); created when missing.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def new_id(self) -> str:
        """A fresh draft id (its folder is created)."""
        while True:
            did = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
            try:
                (self.root / did).mkdir()
                return did
            except FileExistsError:
                continue

    def folder(self, did: str) -> Path:
        """The folder of draft ``did``.

        Raises:
            InputError: not a draft id, or no such draft.
        """
        if not ID_RE.match(did or ""):
            raise InputError(f"'{did}' is not a draft id.")
        path = self.root / did
        if not path.is_dir():
            raise InputError(f"No draft '{did}' under {self.root}.")
        return path

    def write(self, did: str, name: str, data: Any) -> None:
        """Write ``name`` (JSON) in the draft's folder atomically."""
        folder = self.folder(did)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, folder / name)

    def read(self, did: str, name: str = "draft.json") -> dict[str, Any]:
        """Read ``name`` (JSON) of a draft.

        Raises:
            InputError: no such draft, or the file is missing or damaged.
        """
        path = self.folder(did) / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: cannot read the draft ({exc}).") from exc

    def list(self) -> list[dict[str, Any]]:
        """Every draft, newest first: id, title, created, status, sections, findings."""
        out = []
        for path in sorted(self.root.iterdir(), reverse=True):
            if not ID_RE.match(path.name) or not (path / "draft.json").exists():
                continue
            try:
                rec = json.loads((path / "draft.json").read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            out.append({"id": path.name, "title": rec.get("title", ""), "created": rec.get("created", ""),
                        "status": rec.get("status", ""), "sections": len(rec.get("sections", [])),
                        "findings": rec.get("findings", 0)})
        return out


# -- the figures table ----------------------------------------------------------

def empty_document() -> dict[str, Any]:
    """The figures table of a new draft: header fields, figures, facts, names."""
    return {"title": "", "organisation": "", "period": "", "figures": [], "facts": [], "names": []}


def document_from_file(header: dict[str, Any], rows: list[Any]) -> dict[str, Any]:
    """The page's figures table from :func:`drafter.figures.read_figure_rows` output."""
    doc = empty_document()
    for key in HEADER_FIELDS:
        value = header.get(key, header.get("organization") if key == "organisation" else None)
        doc[key] = "" if value is None else str(value)
    doc["figures"] = [{k: "" if r.entry.get(k) is None else str(r.entry.get(k)) for k in ("name", "value", "unit", "section")}
                      for r in rows]
    facts = header.get("facts") or []
    doc["facts"] = [{"text": str(f), "section": ""} if not isinstance(f, dict) else
                    {"text": str(f.get("text", "")), "section": str(f.get("section") or "")} for f in facts] if isinstance(facts, list) else []
    names = header.get("names") or []
    doc["names"] = [str(n) for n in names] if isinstance(names, list) else []
    return doc


def validate_document(doc: Any, source: str = "figures table") -> tuple[FigureSet | None, list[str | None], list[str]]:
    """Check the page's figures table with the loader's own rules and words.

    Args:
        doc: ``{"title", "organisation", "period", "figures": [{name, value,
            unit, section}], "facts": [{text, section}], "names": [str]}``.
        source: what messages call the table.

    Returns:
        ``(figset, row_errors, errors)``: the :class:`FigureSet` (None when
        anything is wrong), one error or None per figure row (``row 2 (公路):
        value 'abc' is not a number …``), and errors of the rest (facts,
        names, an empty table).
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("figures", []), list):
        return None, [], [f"{source}: expected the figures table."]
    raw = [_clean_row(r) for r in doc.get("figures", [])]
    keep = [i for i, e in enumerate(raw) if any(e.get(k) for k in ("name", "value", "unit"))]  # blank rows are no figures
    entries = [raw[i] for i in keep]
    row_errors: list[str | None] = [None] * len(raw)
    for i, row in zip(keep, check_rows(entries, [f"row {i + 1}" for i in keep])):
        row_errors[i] = row.error
    data: dict[str, Any] = {k: str(doc.get(k) or "").strip() or None for k in HEADER_FIELDS}
    data["figures"] = entries
    data["facts"] = [_clean_fact(f) for f in doc.get("facts", []) if _clean_fact(f)]
    data["names"] = [str(n).strip() for n in doc.get("names", []) if str(n).strip()]
    data = {k: v for k, v in data.items() if v not in (None, [])} | {"figures": entries}
    if any(row_errors):
        return None, row_errors, []
    try:
        return figures_from_data(data, Path(source)), row_errors, []
    except InputError as exc:
        return None, row_errors, [str(exc)]


def _clean_row(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        return {"name": str(row)}
    out = {k: str(row.get(k) if row.get(k) is not None else "").strip() for k in ("name", "value", "unit", "section")}
    if not out["section"]:
        out.pop("section")
    return out


def _clean_fact(fact: Any) -> Any:
    if isinstance(fact, dict):
        text = str(fact.get("text") or "").strip()
        if not text:
            return None
        section = str(fact.get("section") or "").strip()
        return {"text": text, "section": section} if section else text
    return str(fact).strip() or None


# -- sections -----------------------------------------------------------------

def section_record(sec: SectionDraft, context: list[str], script: str) -> dict[str, Any]:
    """What ``draft.json`` keeps of a drafted section."""
    body = to_traditional(sec.body) if script == "traditional" else sec.body
    heading = to_traditional(sec.heading) if script == "traditional" else sec.heading
    return {
        "kind": sec.kind, "heading": heading, "original": body, "body": body,
        "figures": [f.name for f in sec.figures], "sources": [s.to_dict() for s in sec.sources],
        "context": context, "warnings": list(sec.warnings), "strategy": sec.strategy, "prompt": sec.prompt,
        "dropped": list(sec.dropped),
    }


def section_figset(figset: FigureSet, names: list[str]) -> FigureSet:
    """The user's input as a section sees it: its own figures, the report's names and facts."""
    wanted = set(names)
    return FigureSet(figures=[f for f in figset.figures if f.name in wanted], title=figset.title,
                     organisation=figset.organisation, period=figset.period, facts=list(figset.facts),
                     names=list(figset.names), source=figset.source)


def section_view(rec: dict[str, Any], figset: FigureSet, index: int) -> dict[str, Any]:
    """A section as the page shows it: text, every finding, figure statuses, sources.

    Findings are passed on whole (``Finding.to_dict()``), so a field or a
    kind added to the checker reaches the page without a change here.
    """
    fs = section_figset(figset, rec["figures"])
    result = recheck(rec["body"], fs, rec["kind"], rec.get("context", []))
    return {
        "index": index, "kind": rec["kind"], "heading": rec["heading"], "body": rec["body"],
        "edited": rec["body"] != rec.get("original", rec["body"]),
        "ok": result.signable, "findings": [f.to_dict() for f in result.all_findings()],
        "notes": [asdict(n) for n in result.notes],
        "figures": [asdict(s) for s in figure_states(result, fs.figures)],
        "sources": [dict(s, text=rec["context"][i] if i < len(rec.get("context", [])) else "")
                    for i, s in enumerate(rec.get("sources", []))],
        "warnings": rec.get("warnings", []),
    }


def as_draft(rec: dict[str, Any], figset: FigureSet) -> Draft:
    """The saved draft as a :class:`~drafter.output.draft.Draft` (for .docx and .md), re-checked as it stands."""
    sections = []
    for s in rec.get("sections", []):
        fs = section_figset(figset, s["figures"])
        sections.append(SectionDraft(
            kind=s["kind"], heading=s["heading"], body=s["body"], figures=list(fs.figures),
            sources=[Source(x["report"], x["section_path"], x["chunk_id"], x["score"]) for x in s.get("sources", [])],
            check=recheck(s["body"], fs, s["kind"], s.get("context", [])), strategy=s.get("strategy", ""),
        ))
    return Draft(title=rec.get("title", ""), sections=sections, script=rec.get("script", "simplified"),
                 with_title=rec.get("with_title", True), missing=list(rec.get("missing", [])), error=rec.get("error", ""))


def changed_figure(figset: FigureSet, name: str, value: str, unit: str | None) -> tuple[Figure, dict[str, Any]]:
    """The figure ``name`` with a new value (and unit), checked like a table row.

    Returns:
        ``(old_figure, new_row)``: the new row for the figures table.

    Raises:
        InputError: no such figure, or the new value is not valid (the loader's words).
    """
    old = next((f for f in figset.figures if f.name == name), None)
    if old is None:
        raise InputError(f"No figure named '{name}' in this draft.")
    row = {"name": old.name, "value": value, "unit": old.unit if unit is None else unit}
    if old.section:
        row["section"] = old.section
    error = check_rows([row], [f"figure '{name}'"])[0].error
    if error:
        raise InputError(error)
    return old, row
