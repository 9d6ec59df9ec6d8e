"""The ``weave`` strategy (default): the model writes the report's prose around Drafter's clauses.

Per paragraph a lead, an effect after each clause, a close; headings and explanations of
problems and plans; the opening's basis and result. The section is planned, asked for and
assembled by :mod:`drafter.drafting.weave_writer` (the plan: :mod:`drafter.drafting.section_plan`;
the reply's parts and the grammar built from the plan: :mod:`drafter.drafting.weave`). Passages
are retrieved per paragraph and shown as voice excerpts; on the embedded server a grammar holds
every clause verbatim and forbids digits elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drafter.drafting.strategies.base import KindPlan, Passages, Section, Strategy

if TYPE_CHECKING:
    from drafter.drafting.engine import Engine


class WeaveStrategy(Strategy):
    """Every kind woven: Drafter's clauses verbatim, the model's numeral-free prose between them."""

    name = "weave"
    description = ("The model writes each paragraph's prose around Drafter's figure clauses "
                   "(grammar-held on the embedded server; default).")
    method = "weave"
    passages = Passages.VOICE
    family = "weave"
    retrieves_per_section = False

    def plan(self, kind: str) -> KindPlan:
        """Every kind: woven, passages retrieved per paragraph."""
        super().plan(kind)
        return KindPlan("weave", self, "passages retrieved per paragraph")

    def generate(self, engine: Engine, section: Section, passages: list[dict]) -> str:
        """The woven section (:func:`drafter.drafting.weave_writer.write_weave`); the passages it showed
        are kept in ``section.state["context"]`` for the check."""
        from drafter.drafting.weave_writer import write_weave

        sec = section.sec
        body, context = write_weave(engine, sec, section.kind, section.prompt, section.figset, section.allowed,
                                    engine.target(section.kind, section.prompt), engine.work_topics)
        section.state["context"] = context
        return body
