"""Whole reports: outline, figure assignment and section numbering of the genre.

The default outline is the usual work report: title, an opening paragraph,
一、工作开展情况, 二、存在问题, 三、下步工作打算. ``--outline FILE`` (YAML) gives
another: a list of kinds, or of ``{kind, heading}`` mappings, e.g.::

    - opening
    - {kind: work, heading: 主要工作及成效}
    - problems
    - {kind: next_steps, heading: 下一步工作计划}

Level-1 headings are numbered 一、二、三、 in order; the opening and closing
carry no heading. The headings and the title used when the figures file gives
none are data (``drafter/data/report_text.yaml``). A figure goes to the section its ``section`` field names;
one without a section goes where its role puts it (:func:`drafter.drafting.clauses.figure_role`:
base data to the opening, a problem's evidence to ``problems``, a target to
``next_steps``, when the outline has them), else to ``next_steps`` when its name
speaks of a plan (计划, 力争, 目标, 明年, 下一步 …) and to ``work`` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from drafter.files import read_yaml
from drafter.drafting.compose import ordinal
from drafter.drafting.engine import Engine
from drafter.errors import DrafterError, InputError
from drafter.output.draft import Draft, SectionDraft, report_text
from drafter.figures import Fact, Figure, FigureSet
from drafter.corpus.kinds import KINDS, label, parse_kind
from drafter.text.script import to_simplified

DEFAULT_OUTLINE = ("opening", "work", "problems", "next_steps")
_PLAN_WORDS = ("计划", "力争", "目标", "明年", "下一步", "下步", "预计", "拟")


def heading_of(kind: str) -> str:
    """The genre's heading of a section kind, without number (``work`` → 工作开展情况; ``""`` for the opening)."""
    return str(report_text()["headings"].get(kind, ""))


@dataclass(frozen=True)
class OutlineItem:
    """One section of an outline: its kind and heading text (without number)."""

    kind: str
    heading: str = ""


def default_outline(kinds: tuple[str, ...] = DEFAULT_OUTLINE) -> list[OutlineItem]:
    """Outline items for section kinds, with the genre's headings."""
    return [OutlineItem(k, heading_of(k)) for k in kinds]


def load_outline(path: str | Path) -> list[OutlineItem]:
    """Read an outline file (YAML list of kinds or ``{kind, heading}``).

    Raises:
        InputError: missing file, bad YAML, unknown kind or key (naming the item).
    """
    path = Path(path)
    data = read_yaml(path, "outline")
    if not isinstance(data, list) or not data:
        raise InputError(f"{path}: an outline is a non-empty list of sections.")
    items = []
    for i, entry in enumerate(data, 1):
        where = f"{path}: item {i}"
        if isinstance(entry, str):
            kind = parse_kind(entry, where)
            items.append(OutlineItem(kind, heading_of(kind)))
        elif isinstance(entry, dict) and "kind" in entry and set(entry) <= {"kind", "heading"}:
            kind = parse_kind(entry["kind"], where)
            items.append(OutlineItem(kind, str(entry.get("heading") or heading_of(kind))))
        else:
            raise InputError(f"{where}: write a kind (work) or a mapping with 'kind' and optional 'heading'.")
    return items


def assign_figures(figset: FigureSet, kinds: list[str], partial: bool = False) -> dict[str, list[Figure]]:
    """Figures per section kind (see module docs).

    Args:
        figset: the user's figures. kinds: the sections being written.
        partial: only some sections are being written (``--section``): figures
            of other sections are left out instead of being an error.

    Raises:
        InputError: a figure assigned to a section a whole-report outline does not have.
    """
    from drafter.drafting.clauses import figure_role

    by_role = {"base": "opening", "problem": "problems", "target": "next_steps"}
    out: dict[str, list[Figure]] = {k: [] for k in kinds}
    for fig in figset.figures:
        kind = fig.section
        if kind is None:
            role_kind = by_role.get(figure_role(fig))
            if role_kind in kinds:
                kind = role_kind
            elif role_kind and partial:
                continue  # --section work: the opening's base data is not this section's
            else:
                kind = "next_steps" if any(w in to_simplified(fig.name) for w in _PLAN_WORDS) and "next_steps" in kinds else "work"
        if kind not in out:
            if partial:
                continue
            raise InputError(f"{figset.source or 'figures'}: figure '{fig.name}' belongs to section '{label(kind)}', which the outline does not have.")
        out[kind].append(fig)
    return out


def assign_facts(figset: FigureSet, kinds: list[str]) -> dict[str, list[Fact]]:
    """Facts per section kind (facts without a section go to ``work``)."""
    out: dict[str, list[Fact]] = {k: [] for k in kinds}
    for fact in figset.facts:
        kind = fact.section or "work"
        if kind in out:
            out[kind].append(fact)
    return out


def report_title(figset: FigureSet) -> str:
    """The title: the file's ``title``, else organisation + period + 工作总结, else 工作情况报告
    (``title_suffix`` and ``title_fallback`` of :func:`report_text`)."""
    if figset.title:
        return figset.title
    text = report_text()
    if figset.organisation or figset.period:
        return f"{figset.organisation or ''}{figset.period or ''}{text['title_suffix']}"
    return str(text["title_fallback"])


def write_report(engine: Engine, figset: FigureSet, outline: list[OutlineItem] | None = None,
                 script: str = "simplified", on_section: Callable[[SectionDraft, int, int], Any] | None = None,
                 with_title: bool | None = None, partial: bool = False) -> Draft:
    """Draft every section of ``outline`` in order and number the headings.

    Args:
        engine: the drafting engine. figset: the user's figures, facts, names.
        outline: sections to write (default :data:`DEFAULT_OUTLINE`).
        script: ``simplified`` or ``traditional`` output.
        on_section: called after each section with ``(section, index, total)``.
        with_title: print the title line (default: when more than one section).
        partial: only some sections are written; other sections' figures are left out.

    Returns:
        A :class:`~drafter.output.draft.Draft`. When an error stops the report after
        at least one section was finished, the draft of the finished sections, not
        an exception: ``status`` ``"incomplete"``, the unwritten sections' headings
        in ``missing``, the error's message and class name in ``error`` and
        ``error_type`` (nothing the user had is lost).

    Raises:
        InputError: figures for a section missing from the outline, or nothing to
            write in the work section (both before any model call).
        ModelError/PromptError (any :class:`~drafter.errors.DrafterError`): from the
            engine, when it stops the first section (no section to keep).
    """
    outline = outline or default_outline()
    kinds = [o.kind for o in outline]
    for k in kinds:
        if k not in KINDS:
            raise InputError(f"Unknown section kind '{k}'.")
    figs = assign_figures(figset, kinds, partial)
    facts = assign_facts(figset, kinds)
    headings: list[str] = []
    number = 0
    for item in outline:
        heading = ""
        if item.kind not in ("opening", "closing"):
            number += 1
            heading = f"{ordinal(number)}、{to_simplified(item.heading or label(item.kind))}"
        if item.kind == "work" and not figs["work"] and not facts["work"]:
            raise InputError(f"{figset.source or 'figures'}: nothing to write in {heading or label('work')}: no figures or facts for it.")
        headings.append(heading)
    title = to_simplified(report_title(figset))
    with_title = len(outline) > 1 if with_title is None else with_title
    sections: list[SectionDraft] = []
    for i, (item, heading) in enumerate(zip(outline, headings), 1):
        try:
            sec = engine.write_section(item.kind, figset, figs[item.kind], facts[item.kind], heading=heading)
        except DrafterError as exc:
            if not sections:
                raise  # nothing finished: nothing to keep
            missing = [h or label(o.kind) for o, h in zip(outline[i - 1:], headings[i - 1:])]
            return Draft(title=title, sections=sections, script=script, with_title=with_title,
                         missing=missing, error=str(exc), error_type=type(exc).__name__)
        sections.append(sec)
        if on_section:
            on_section(sec, i, len(outline))
    return Draft(title=title, sections=sections, script=script, with_title=with_title)
