"""The ``compose`` strategy: Drafter writes every figure clause, the model numeral-free text as JSON.

See :mod:`drafter.drafting.compose` for the clauses, the cleaning of model text and the voice
excerpts. Per kind: ``work`` — an introduction and one lead per topic subsection, each followed by
Drafter's enumeration of its clauses; ``problems``/``next_steps`` — n items (heading + text) of the
model's, every fact and figure added by Drafter; ``opening``/``closing`` (and ``other``) — one
paragraph, asked for again without passages when too little of it survives the cleaning.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from drafter.drafting import compose as cp
from drafter.drafting.replies import ask_json, reply_schema
from drafter.drafting.sentences import sentence
from drafter.drafting.strategies.base import Passages, Section, Strategy
from drafter.errors import InputError

if TYPE_CHECKING:
    from drafter.drafting.engine import Engine

MIN_PARAGRAPH_HAN = 30
"""An opening/closing paragraph with fewer Han characters than this (after cleaning) is asked for again."""


class ComposeStrategy(Strategy):
    """Numbers by construction: the model never types a number (every kind written this way)."""

    name = "compose"
    description = "Drafter writes every figure clause; the model writes numeral-free lead-ins as JSON."
    method = "compose"
    passages = Passages.VOICE

    def reply_format(self, kind: str, **shape: Any) -> dict:
        """The JSON Schema of the reply (:func:`drafter.drafting.replies.reply_schema`; ``n=``, ``keys=``)."""
        return reply_schema(kind, **shape)

    def _text(self, section: Section, value: Any, max_sentences: int | None = None) -> str:
        text, dropped = cp.clean_model_text(value if isinstance(value, str) else "", max_sentences,
                                            echo_of=section.sec.instructions, reject=section.reject)
        section.sec.dropped.extend(dropped)
        return text

    def _ask(self, engine: Engine, section: Section, values: dict, passages: list[dict], **shape: Any) -> dict:
        sec = section.sec
        msgs, used = engine._fit(section.prompt, values, passages, sec)
        sec.messages, sec.passages_used = msgs, len(used)
        return ask_json(engine, sec, msgs, section.prompt.meta.budget.output, self.reply_format(section.kind, **shape))

    def generate(self, engine: Engine, section: Section, passages: list[dict]) -> str:
        """The section body: the model's numeral-free text around Drafter's clauses (see the module)."""
        values = self.values(section)
        if section.kind == "work":
            return self._work(engine, section, values, passages)
        if section.kind in ("problems", "next_steps"):
            return self._items(engine, section, values, passages)
        return self._paragraph(engine, section, values, passages)

    def _work(self, engine: Engine, section: Section, values: dict, passages: list[dict]) -> str:
        sec = section.sec
        groups = cp.group_by_topic(sec.figures, sec.facts)
        if not groups:
            raise InputError("The work section has no figures and no facts to write about.")
        values["groups"] = [{"heading": g.heading, "outline": g.outline()} for g in groups]
        data = self._ask(engine, section, values, passages, n=len(groups), keys=[g.heading for g in groups])
        paras = [self._text(section, data.get("intro"), 2)] if data.get("intro") else []
        seen_leads: set[str] = set()
        for i, g in enumerate(groups):
            lead = self._text(section, data.get(g.heading), 2)
            if lead in seen_leads:  # the same lead for two subsections says nothing about either
                sec.dropped.append(lead)
                lead = ""
            seen_leads.add(lead)
            paras.append(f"（{cp.ordinal(i + 1)}）{g.heading}")
            paras.append(lead + cp.enumerate_items(g.items("work", mentioned=lead)))
        return "\n\n".join(p for p in paras if p)

    def _items(self, engine: Engine, section: Section, values: dict, passages: list[dict]) -> str:
        kind, sec = section.kind, section.sec
        figures, facts = sec.figures, sec.facts
        target_groups = cp.group_by_topic(figures, []) if figures else []
        values["groups"] = [{"heading": g.heading, "outline": g.outline()} for g in target_groups]
        n = min(4, max(3 if kind == "next_steps" else 2, len(facts)))
        values["n_items"] = n
        data = self._ask(engine, section, values, passages, n=n)
        items = [it for it in data.get("items", []) if isinstance(it, dict)][:n]
        paras = []
        for it in items:
            head = self._text(section, it.get("heading"), 1).rstrip("。")
            text = self._text(section, it.get("text"), 3)
            if head or text:
                paras.append((head, text))
        written = "".join(h + t for h, t in paras)
        for fact in facts:  # every fact is mentioned, in the model's words or as given
            if cp.fact_clause(fact) not in written:
                paras.append((cp.fact_clause(fact), ""))
        clauses = cp.enumerate_items([cp.figure_clause(f, kind) for f in figures]) if figures else ""
        if figures and kind == "problems" and paras:
            # figures of a problems section support the problems: "从数据看，……" after the last one
            head, text = paras[-1]
            paras[-1] = (head, text + sentence("compose", "problems_figures_lead") + clauses)
        elif figures:
            heading = sentence("compose", "figures_heading", "next_steps" if kind == "next_steps" else "other")
            paras.append((heading, clauses))
        return "\n\n".join(f"（{cp.ordinal(i)}）{h}{'。' if h else ''}{t}" for i, (h, t) in enumerate(paras, 1))

    def _paragraph(self, engine: Engine, section: Section, values: dict, passages: list[dict]) -> str:
        """Opening, closing or another kind: one paragraph."""
        kind, sec = section.kind, section.sec
        data = self._ask(engine, section, values, passages)
        text = self._text(section, data.get("text"), 4)
        if len(cp.han(text)) < MIN_PARAGRAPH_HAN:
            # mostly echo, copy or numbers: ask once more, without the passages it copied from
            data = self._ask(engine, section, values, [])
            retry = self._text(section, data.get("text"), 4)
            text = retry if len(cp.han(retry)) > len(cp.han(text)) else text
        if sec.figures:
            summary = "，".join(cp.figure_clause(f, kind) for f in sec.figures) + "。"
            tail = re.search(r"现将[^。]{0,16}如下。$", text)
            text = text[: tail.start()] + summary + tail.group(0) if tail else text + summary
        if kind == "opening" and not re.search(r"如下。$", text):
            text += sentence("compose", "opening_close")  # the genre's closing sentence of a 导语
        for fact in sec.facts:
            if cp.fact_clause(fact) not in text:
                text += cp.fact_clause(fact) + "。"
        return text
