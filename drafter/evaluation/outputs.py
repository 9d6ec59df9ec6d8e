"""One output of an eval run: drafting one case with one variant and repeat, and the JSONL record
that keeps everything about it (what was asked, each section's prompt, replies, passages and check,
the model calls, the metrics)."""

from __future__ import annotations

import time
from typing import Any

from drafter.api import Drafter
from drafter.config import Settings
from drafter.errors import DrafterError
from drafter.evaluation.clients import Meter
from drafter.evaluation.metrics import output_metrics
from drafter.evaluation.runfiles import now
from drafter.evaluation.suite import Case, figset_to_dict, figure_to_dict
from drafter.evaluation.variants import Variant


def output_key(case_id: str, variant: Variant, repeat: int) -> str:
    """Key of one output in records and plans: ``case::prompt/strategy/model::rN``."""
    return f"{case_id}::{variant.id}::r{repeat}"


def section_records(draft: Any, library: Any) -> list[dict]:
    """The record of each section of ``draft``: text, how it was made, every retrieved passage, its check.

    Args:
        draft: a :class:`~drafter.drafting.engine.Draft`; each section's ``hits`` are the passages
            retrieval returned, in order, the first ``passages_used`` of them shown to the model.
        library: the run's :class:`~drafter.drafting.prompts.PromptLibrary` (a section's target
            length when the engine recorded none: its prompt's ``target_chars``).
    """
    sections = []
    for sec in draft.sections:
        try:
            target = sec.target or (library.get(sec.prompt).meta.target_chars if sec.prompt else 0)
        except DrafterError:
            target = 0
        sections.append({
            "kind": sec.kind, "heading": sec.heading, "body": sec.body, "strategy": sec.strategy, "warnings": sec.warnings,
            "prompt": sec.prompt, "prompt_sha256": sec.prompt_sha256, "target_chars": target,
            "figures": [figure_to_dict(f) for f in sec.figures],
            "facts": [f.text for f in sec.facts],
            "messages": sec.messages, "replies": sec.replies, "dropped": sec.dropped,
            "repair_rounds": sec.repair_rounds,
            "passages": [{"chunk_id": h.chunk.id, "source": h.chunk.source, "report": h.chunk.report_title,
                          "section_path": h.chunk.section_path, "score": round(float(h.score), 6),
                          "used": j < sec.passages_used, "text": h.chunk.text} for j, h in enumerate(sec.hits)],
            "check": sec.check.to_dict(),
            "latency": round(sec.latency, 3), "prompt_tokens": sec.prompt_tokens, "completion_tokens": sec.completion_tokens,
        })
    return sections


def draft_output(d: Drafter, meter: Meter, library: Any, settings: Settings, case: Case, variant: Variant,
                 repeat: int, prompt_variant: str | None) -> dict[str, Any]:
    """Draft ``case`` with ``variant`` (repeat ``repeat``) and return its record.

    Args:
        d: the run's Drafter (its store holds every case's corpus). meter: the variant's model
            client, counting this output's calls. library: the run's prompt library.
        settings: the run's settings (the script when the case gives none).
        prompt_variant: the prompt variant this case uses (:func:`~drafter.evaluation.variants.prompt_plan`).

    Returns:
        The record: ``status`` ``"ok"`` with ``output``, ``sections`` and ``metrics``, or ``"error"``
        with ``error`` and ``error_type`` — for a :class:`DrafterError` and for a draft returned
        incomplete (``draft.status`` other than ``"complete"``) alike.

    Raises:
        DrafterError: the model could not be opened at all (the run cannot go on).
    """
    script = case.script or settings.script
    rec: dict[str, Any] = {
        "key": output_key(case.id, variant, repeat), "case": case.id, "case_sha": case.sha256, "tags": case.tags,
        "variant": variant.to_dict(), "prompt_variant_used": prompt_variant, "repeat": repeat, "seed": repeat,
        "server": meter.identity, "script": script, "expect": case.expect.model_dump(mode="json"),
        "corpus": [str(p) for p in case.corpus] if case.corpus else None,
        "figures": figset_to_dict(case.figset),
    }
    meter.begin()
    t0 = time.monotonic()
    try:
        draft = d.write(case.figset, sections=case.kinds if case.single else None,
                        outline=None if case.single else case.outline, corpus=case.corpus, llm=meter,
                        strategy=variant.strategy, script=script, prompt_variant=prompt_variant)
    except DrafterError as exc:
        if meter.backend.failed is not None:
            raise
        rec.update(status="error", error=str(exc), error_type=type(exc).__name__, sections=[], output="")
    else:
        if getattr(draft, "status", "complete") != "complete":  # an error stopped the report after some sections
            if meter.backend.failed is not None:
                raise meter.backend.failed
            rec.update(status="error", error=str(draft.error), error_type=str(draft.error_type), sections=[], output="")
        else:
            rec.update(status="ok", output=draft.text, sections=section_records(draft, library))
    rec["calls"] = meter.end()
    rec["wall"] = round(time.monotonic() - t0, 3)
    rec["finished"] = now()
    rec["metrics"] = output_metrics(rec) if rec["status"] == "ok" else {}
    return rec
