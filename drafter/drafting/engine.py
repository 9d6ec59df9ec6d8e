"""The drafting engine: one section at a time — retrieve, prompt, generate, check, repair.

How a section is written is its number strategy's (``strategy=``; the eval harness compares
them): the strategies are objects in :mod:`drafter.drafting.strategies` — ``compose``, the prose
family (``free``, ``masked``, ``masked-names``, ``slots``, ``grammar``) and ``weave`` (default) —
each stating, per section kind, the method it is written by (``Strategy.plan``; ``free`` writes
``problems`` by ``compose``, for there is no prose prompt for it). The engine asks the plan's
writer for the prompt and the passages' treatment, fits the prompt to its budget, makes the
model calls, and runs the number guard on what the writer returns.

Names (issue 7): the check is given the whole user input (title, organisation,
period, figure names, facts, names), so a name from the passages that the user
did not give is a ``stale_name``, and a run copied from them is ``copied``. In
``compose`` the passages' excerpts leave out sentences naming other places, and
model sentences carrying a stale name or a copied run are dropped like those
with numbers.

Every strategy ends with the number guard (:func:`drafter.guard.check.check_draft`);
the prose strategies send findings back for ``repair_rounds`` rounds; what still
fails is marked in the output (〔待核：…〕) and makes the draft not ``ok``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from drafter.drafting import compose as cp
from drafter.drafting.strategies import STRATEGIES, Section, Strategy, get_strategy
from drafter.errors import InputError, PromptError
from drafter.figures import Fact, Figure, FigureSet
from drafter.drafting.prompts import Prompt, PromptLibrary
from drafter.output.draft import Draft, SectionDraft, Source  # noqa: F401  (their home; kept importable from here)
from drafter.text.script import to_simplified, to_traditional
from drafter.text.tokens import count_tokens

__all__ = ["STRATEGIES", "Draft", "Engine", "Retrieve", "SectionDraft", "Source"]




Retrieve = Callable[[str, Sequence[Figure], Sequence[Fact]], list[Any]]
"""``retrieve(kind, figures, facts) -> list[Hit]``: passages for one section."""


class Engine:
    """Drafts sections with one LLM client.

    Args:
        llm: a :class:`drafter.llm.client.LLMClient`.
        prompts: the prompt library.
        retrieve: passages for a section (see :data:`Retrieve`), or None for none.
        strategy: one of :data:`STRATEGIES` (:mod:`drafter.drafting.strategies`).
        temperature: sampling temperature; repair_rounds: bound on repair rounds.
        schema_ok: the backend honours ``response_format`` JSON schemas (llama.cpp server).
        grammar_ok: the backend honours GBNF grammars (llama.cpp server).
        variant: prompt variant suffix (``work-{variant}``), or None.
        on_event: ``on_event(name, payload)`` for progress/streaming (``section_start``, ``token``, ``section_done``).
        passages: passages per section; excerpt_chars: characters of each passage shown in ``compose``.
        targets: wanted Han characters per section kind (:func:`drafter.drafting.lengths.section_targets`);
            a kind not given takes its prompt's ``target_chars``.

    Attributes:
        strategy: the strategy's name; number_strategy: the :class:`~drafter.drafting.strategies.Strategy`.

    Raises:
        InputError: unknown strategy, or ``grammar`` on a backend without grammars.
    """

    def __init__(self, llm: Any, prompts: PromptLibrary, retrieve: Retrieve | None = None, strategy: str = "weave",
                 temperature: float = 0.3, repair_rounds: int = 1, schema_ok: bool = True, grammar_ok: bool = False,
                 variant: str | None = None, on_event: Callable[[str, Any], None] | None = None,
                 passages: int = 3, excerpt_chars: int = 120, targets: dict[str, int] | None = None) -> None:
        self.number_strategy: Strategy = get_strategy(strategy)
        if self.number_strategy.needs_grammar and not grammar_ok:
            raise InputError(f"The '{strategy}' strategy needs the embedded llama.cpp server (no --base-url).")
        self.llm, self.prompts, self.retrieve = llm, prompts, retrieve
        self.strategy, self.temperature, self.repair_rounds = strategy, temperature, repair_rounds
        self.schema_ok, self.grammar_ok, self.variant = schema_ok, grammar_ok, variant
        self.on_event = on_event or (lambda name, payload: None)
        self.passages = passages
        self.excerpt_chars = excerpt_chars
        self.targets = dict(targets or {})
        self.work_topics: list[str] = []  # subsection headings of the last work section (plans take them up)
        self.work_items: dict[int, list[str]] = {}  # per topic, what the last work section did (weave problems and plans)

    # -- helpers -------------------------------------------------------------
    def _prompt(self, kind: str) -> Prompt:
        """The prompt of the strategy's plan for ``kind`` (see :meth:`Strategy.prompt`)."""
        return self.number_strategy.plan(kind).writer.prompt(self.prompts, kind, self.variant)

    def target(self, kind: str, prompt: Prompt) -> int:
        """Wanted Han characters of a section of ``kind`` (store median, else the prompt's ``target_chars``)."""
        return int(self.targets.get(kind) or prompt.meta.target_chars)

    def _passages(self, writer: Strategy, hits: list[Any], allowed: str) -> list[dict]:
        """What the model sees of the passages: sentences addressing a model left out first, in every
        strategy (:func:`drafter.drafting.passages.drop_instructions`), then the writer's treatment
        (:meth:`Strategy.passage_text`: numbers kept, masked, or a voice excerpt); empty ones dropped."""
        from drafter.drafting.passages import drop_instructions

        passages = [
            {"title": to_simplified(h.chunk.report_title), "path": to_simplified(" / ".join(h.chunk.section_path)),
             "text": writer.passage_text(drop_instructions(h.chunk.text), allowed, self.excerpt_chars)}
            for h in hits
        ]
        return [p for p in passages if p["text"]]

    def _fit(self, prompt: Prompt, values: dict[str, Any], passages: list[dict],
             sec: SectionDraft | None = None) -> tuple[list[dict], list[dict]]:
        """Render, dropping the lowest-ranked passages until the prompt fits its budget.

        Also records in ``sec.instructions`` the prompt's own wording (rendered
        without passages, facts or outline; JSON example lines excluded) and
        the passages' text, so that model text echoing the instructions or
        copying a passage can be recognised and dropped.

        Raises:
            PromptError: the prompt is over its budget with no passages left.
        """
        if sec is not None:
            bare = dict(values, facts=[], groups=[{"heading": "", "outline": []}] * len(values.get("groups", [])),
                        figures=[{"name": "", "text": ""}] * len(values.get("figures", [])))
            wording = "\n".join(m["content"] for m in prompt.render(**bare, passages=[]))
            if prompt.meta.section in ("opening", "closing"):
                # a generic opening/closing sentence of the example is fine to imitate; elsewhere the
                # example's leads and items belong to other subsections and must not be copied
                wording = "\n".join(ln for ln in wording.splitlines() if not ln.lstrip().startswith("{"))
            sec.instructions = wording
            sec.instructions += "\n".join(p["text"] for p in passages)  # copying a passage is an echo too
        passages = list(passages)
        while True:
            msgs = prompt.render(**values, passages=passages)
            used = sum(count_tokens(m["content"]) for m in msgs)
            if used <= prompt.meta.budget.context:
                return msgs, passages
            if not passages:
                raise PromptError(
                    f"{prompt.path}: the figures and facts alone take {used} tokens, over the prompt's budget of "
                    f"{prompt.meta.budget.context}; raise budget.context or split the section."
                )
            passages.pop()

    def _complete(self, sec: SectionDraft, msgs: list[dict], max_tokens: int, json_schema: dict | None = None,
                  grammar: str | None = None, temperature: float | None = None) -> tuple[str, bool]:
        """One model call: ``(text, cut off at max_tokens)``; usage is added to ``sec``.

        ``temperature`` overrides the engine's for this call (a second sample of a paragraph)."""
        rf = None
        if json_schema is not None:
            rf = {"type": "json_object", "schema": json_schema} if self.schema_ok else {"type": "json_object"}
        stream = (lambda t: self.on_event("token", t)) if json_schema is None else None
        reply = self.llm.complete(msgs, max_tokens=max_tokens, temperature=self.temperature if temperature is None else temperature,
                                  response_format=rf, grammar=grammar, on_token=stream)
        sec.latency += reply.latency
        sec.prompt_tokens += reply.prompt_tokens
        sec.completion_tokens += reply.completion_tokens
        sec.replies.append(reply.text)
        return reply.text, reply.finish_reason == "length"

    # -- sections ---------------------------------------------------------------
    def write_section(self, kind: str, figset: FigureSet, figures: Sequence[Figure], facts: Sequence[Fact],
                      heading: str = "") -> SectionDraft:
        """Draft one section: the strategy's plan for ``kind`` names the writer; the engine retrieves
        (unless the writer retrieves per paragraph), the writer generates and repairs, the guard checks.

        Args:
            kind: section kind; figset: header fields (organisation, period, names).
            figures: the figures this section must carry (each exactly once).
            facts: this period's facts for the section.
            heading: heading line (e.g. ``一、工作开展情况``), or ``""``.

        Returns:
            A :class:`SectionDraft` with its check result; ``method`` says how it was written.

        Raises:
            PromptError, ModelError: prompt or model failures (completed sections are the caller's).
        """
        from drafter.guard.check import allowed_text, check_draft
        from drafter.guard.genre import check_genre

        plan = self.number_strategy.plan(kind)
        writer = plan.writer
        prompt = writer.prompt(self.prompts, kind, self.variant)
        sec = SectionDraft(kind=kind, heading=heading, body="", figures=list(figures), facts=list(facts),
                           strategy=self.strategy, prompt=prompt.name, prompt_sha256=prompt.sha256,
                           target=self.target(kind, prompt))
        sec.method = plan.method
        self.on_event("section_start", sec)
        # the whole user input: a name the passages have and this has not is another place's
        user = FigureSet(figures=list(figures), title=figset.title, organisation=figset.organisation,
                         period=figset.period, facts=list(figset.facts), names=list(figset.names))
        allowed = allowed_text(user)
        section = Section(kind, sec, prompt, figset, user, allowed)
        if writer.retrieves_per_section:
            hits = self.retrieve(kind, figures, facts)[: self.passages] if self.retrieve else []
            context = [h.chunk.text for h in hits]
            passages = self._passages(writer, hits, allowed)
            if writer.method == "compose":
                section.reject = cp.stale_sentence_filter(context, allowed)
            body = writer.repair(self, section, writer.generate(self, section, passages), passages)
            sec.sources = [Source(h.chunk.report_title, h.chunk.section_path, h.chunk.id, h.score) for h in hits[: sec.passages_used]]
            sec.hits = list(hits)
        else:  # the writer retrieves per paragraph and records sources and hits itself
            body = writer.repair(self, section, writer.generate(self, section, []), [])
            context = section.state.get("context", [])
        if kind == "work":
            self.work_topics = re.findall(r"^（[一二三四五六七八九十]+）([^。\n]{2,20})$", body, re.M)
        sec.body = body
        sec.check = check_draft(body, user, context=context)
        sec.check.genre = check_genre(body, kind, figures=sec.figures, user_text=allowed, target=sec.target,
                                      script="simplified")
        self.on_event("section_done", sec)
        return sec
