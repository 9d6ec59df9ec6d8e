"""Editing a kept draft on the page: a section's text saved and re-checked, a figure's value changed in place.

Both run in a worker thread under the draft's lock (:meth:`drafter.web.state.Web.lock`)
and refuse a draft that is still being written. Changing a figure asks the model
nothing: the figure's text is replaced where the checker finds it
(:func:`drafter.web.recheck.replace_figure`), and the sections where it is not
found are named for the user to edit.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from drafter.corpus.kinds import label
from drafter.errors import InputError
from drafter.text.script import to_traditional
from drafter.web import drafts as dr
from drafter.web.recheck import recheck, replace_figure
from drafter.web.state import Web, busy, count_findings, draft_view, figset_of, now

__all__ = ["change_figure", "save_section"]


def save_section(web: Web, did: str, index: int, body: str) -> dict[str, Any]:
    """Save section ``index`` of draft ``did`` as edited and check it again.

    Args:
        web: the page's state; did: the draft's id; index: 0-based section number;
        body: the section's new text (Windows line ends are made plain line feeds).

    Returns:
        The section's view (:func:`drafter.web.drafts.section_view`): its text, findings and figures.

    Raises:
        InputError: the draft is still being written, or has no such section.
    """
    with web.lock(did):
        rec = web.drafts.read(did)
        if busy(web, rec):
            raise InputError("The draft is still being written; edit it when it is done.")
        if not 0 <= index < len(rec["sections"]):
            raise InputError(f"The draft has no section {index}.")
        rec["sections"][index]["body"] = body.replace("\r\n", "\n")
        figset = figset_of(rec)
        view = dr.section_view(rec["sections"][index], figset, index)
        rec["sections"][index]["n_findings"] = len(view["findings"])
        rec["findings"] = count_findings(rec, figset)
        rec["updated"] = now()
        web.drafts.write(did, "draft.json", rec)
        return view


def change_figure(web: Web, did: str, name: str, value: str, unit: str | None) -> dict[str, Any]:
    """Change the value (and unit) of figure ``name`` in draft ``did`` and put it in the text, without the model.

    Args:
        web: the page's state; did: the draft's id; name: the figure's name;
        value: its new value as typed; unit: its new unit, or None to keep it.

    Returns:
        The draft's view (:func:`drafter.web.state.draft_view`) plus ``placed`` and
        ``not_placed`` (the headings of the sections where the figure was or was
        not replaced) and ``figure`` (its name).

    Raises:
        InputError: the draft is still being written, no figure has that name, or the new value is not valid.
    """
    with web.lock(did):
        rec = web.drafts.read(did)
        if busy(web, rec):
            raise InputError("The draft is still being written; change figures when it is done.")
        figset = figset_of(rec)
        old, row = dr.changed_figure(figset, name, value, unit)
        doc = json.loads(json.dumps(rec["figures"]))
        for r in doc["figures"]:
            if str(r.get("name", "")).strip() == old.name:
                r["value"], r["unit"] = row["value"], row["unit"]
        new_set, _, errors = dr.validate_document(doc)
        if new_set is None:
            raise InputError("; ".join(errors) or f"The new value of {name} is not valid.")
        new = next(f for f in new_set.figures if f.name == old.name)
        if rec["script"] == "traditional":  # written in the draft's script
            new = dataclasses.replace(new, unit=to_traditional(new.unit))
        placed, not_placed = [], []
        for sec in rec["sections"]:
            if old.name not in sec["figures"]:
                continue
            fs = dr.section_figset(figset, sec["figures"])
            result = recheck(sec["body"], fs, sec["kind"], sec.get("context", []))
            sec["body"], replaced = replace_figure(sec["body"], result, old, new)
            (placed if replaced else not_placed).append(sec["heading"] or label(sec["kind"]))
        rec["figures"] = doc
        rec["findings"] = count_findings(rec, new_set, fresh=True)
        rec["updated"] = now()
        web.drafts.write(did, "draft.json", rec)
        return dict(draft_view(web, rec), placed=placed, not_placed=not_placed, figure=old.name)

