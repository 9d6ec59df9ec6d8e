"""The figures' types: :class:`Figure`, :class:`Fact` and :class:`FigureSet`, what one draft is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

__all__ = ["ROLES", "Fact", "Figure", "FigureSet", "format_decimal"]

ROLES = ("base", "result", "change", "problem", "target")
"""What a figure does in a report (see :func:`drafter.drafting.clauses.figure_role`)."""


@dataclass(frozen=True)
class Figure:
    """One figure of this period.

    Attributes:
        name: what is counted, as it should read (e.g. 新建改造农村公路).
        value: the exact value as a Decimal, in the written unit (12.6 for 12.6公里).
        unit: the unit or measure word as it should be written after the value
            (公里, 万元, 人次, %); ``""`` for a bare number.
        section: section kind it belongs to (see :mod:`drafter.corpus.kinds`) or None.
        id: optional stable id from the file.
        value_text: the value as it will be written (``12.6``; no exponent;
            ``2-3`` for a range, ``500余`` or ``约30`` for an approximation).
        role: what the figure does in the report, one of :data:`ROLES` — ``base``
            (a fact about the place, stated in the opening), ``result``,
            ``change`` (written after its level), ``problem`` (evidence in 存在问题),
            ``target`` (a goal in 下步工作打算) — or None to infer it from the name
            (:func:`drafter.drafting.clauses.figure_role`).
        high: the upper end of a range value (``2-3`` → 3), else None; ``value``
            is then the lower end.
    """

    name: str
    value: Decimal
    unit: str
    section: str | None = None
    id: str | None = None
    value_text: str = ""
    role: str | None = None
    high: Decimal | None = None

    def render(self) -> str:
        """The figure as written in a draft: value text then unit (``12.6公里``)."""
        return f"{self.value_text or format_decimal(self.value)}{self.unit}"

    def render_in(self, script: str = "simplified") -> str:
        """:meth:`render` with the unit in ``script``, converted character by character (萬元 → 万元)."""
        from drafter.drafting.clauses import user_words

        return f"{self.value_text or format_decimal(self.value)}{user_words(self.unit, script)}"


@dataclass(frozen=True)
class Fact:
    """A statement of this period's work, without numbers (e.g. 成立村红白理事会)."""

    text: str
    section: str | None = None


@dataclass
class FigureSet:
    """Everything the user supplied for one draft.

    Attributes:
        figures: the figures, in file order.
        title, organisation, period: optional header fields.
        facts: statements of this period's work (no numbers).
        names: proper names that may appear in the draft.
        source: the file they came from, or None when built in code.
        warnings: things the user should look at, one sentence each naming the
            file, row and figure (a CSV/.xlsx row with an empty unit cell and no
            unit in its value: loaded as a bare number). The CLI prints them.
    """

    figures: list[Figure]
    title: str | None = None
    organisation: str | None = None
    period: str | None = None
    facts: list[Fact] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def for_section(self, kind: str) -> list[Figure]:
        """Figures whose ``section`` is ``kind``."""
        return [f for f in self.figures if f.section == kind]

    def facts_for(self, kind: str) -> list[Fact]:
        """Facts whose ``section`` is ``kind`` or unset (unset facts go to ``work``)."""
        return [f for f in self.facts if f.section == kind or (f.section is None and kind == "work")]


def format_decimal(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros beyond the given ones."""
    text = format(value, "f")
    return text
