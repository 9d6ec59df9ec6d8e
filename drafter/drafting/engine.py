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
from dataclasses import dataclass, field
from typing import Any

from drafter.drafting import compose as cp
from drafter.drafting.strategies import STRATEGIES, Section, Strategy, get_strategy
from drafter.errors import InputError, PromptError
from drafter.figures import Fact, Figure, FigureSet
from drafter.guard.findings import CheckResult
from drafter.drafting.prompts import Prompt, PromptLibrary
from drafter.text.script import to_simplified, to_traditional
from drafter.text.tokens import count_tokens

__all__ = ["STRATEGIES", "Draft", "Engine", "Retrieve", "SectionDraft", "Source"]


@dataclass(frozen=True)
class Source:
    """A passage a section drew on."""

    report: str
    section_path: list[str]
    chunk_id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"report": self.report, "section_path": self.section_path, "chunk_id": self.chunk_id, "score": round(self.score, 6)}


@dataclass
class SectionDraft:
    """One drafted section.

    Attributes:
        kind: section kind; heading: e.g. ``一、工作开展情况`` (``""`` for the opening).
        body: section text (simplified), without the heading.
        figures: the figures this section had to carry; facts: its facts.
        sources: passages shown to the model; check: the number guard's result.
        strategy, prompt, prompt_sha256: how it was made.
        messages: the prompt as sent (first round); replies: raw model replies.
        dropped: model sentences removed because they carried numbers.
        warnings: problems with the model's replies the user should know of (a reply
            cut off at its token budget twice, or not valid JSON twice), one sentence each.
        passages_used: how many retrieved passages fit the prompt's token budget.
        latency: seconds in model calls; prompt_tokens/completion_tokens: usage.
        target: the Han characters the section was asked to run to (store median or prompt).
        hits: every passage retrieved for the section (:class:`drafter.index.retrieval.Hit`), in
            the order retrieved (the ``weave`` strategy retrieves per paragraph).
    """

    kind: str
    heading: str
    body: str
    figures: list[Figure] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    check: CheckResult = field(default_factory=CheckResult)
    strategy: str = "compose"
    prompt: str = ""
    prompt_sha256: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    latency: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    repair_rounds: int = 0
    passages_used: int = 0
    instructions: str = ""
    target: int = 0
    hits: list[Any] = field(default_factory=list)
    method: str = ""  # how it was written: compose, prose or weave (its strategy's plan for the kind)

    def marked_body(self) -> str:
        """Body with each remaining finding marked inline and span-less ones listed after it.

        Number and name findings read 〔待核：…〕 (check the figure); genre findings
        〔待改：…〕 (edit the wording). Overlapping findings share one mark, 待核 first.
        """
        body = self.body
        spans: list[list] = []
        number = [(f, "待核") for f in self.check.findings if f.start >= 0]
        genre = [(f, "待改") for f in self.check.genre if f.start >= 0]
        for f, tag in sorted(number + genre, key=lambda x: (x[0].start, x[1] != "待核")):
            if spans and f.start < spans[-1][1]:  # a name inside a copied run: one mark for both
                spans[-1][1] = max(spans[-1][1], f.end)
                if tag == "待核":
                    spans[-1][2] = tag  # a number or a name to check outweighs wording to edit
            else:
                spans.append([f.start, f.end, tag])
        for start, end, tag in reversed(spans):
            body = body[:start] + f"〔{tag}：{body[start:end]}〕" + body[end:]
        missing = [f for f in self.check.findings if f.start < 0]
        if missing:
            body += "\n\n" + "\n".join(f"> 〔待核〕{f.explanation or f.figure}" for f in missing)
        return body


@dataclass
class Draft:
    """A drafted report (or single section).

    Attributes:
        title: report title; sections: in order; script: output script.
        missing: headings (or labels) of outline sections not written because
            an error stopped the report (see :attr:`DrafterError.draft`); empty when complete.
        error: that error's message ('' when complete).
    """

    title: str
    sections: list[SectionDraft]
    script: str = "simplified"
    with_title: bool = True
    missing: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def complete(self) -> bool:
        """False when an error stopped the report before every section was written."""
        return not self.missing

    @property
    def ok(self) -> bool:
        """True when the draft is complete and every section's check is clean."""
        return self.complete and all(s.check.ok for s in self.sections)

    def incomplete_note(self) -> str:
        """The mark an incomplete draft carries at its end (``''`` when complete)."""
        return f"〔草稿未完成：{'、'.join(self.missing)}未能生成，请重新运行。〕" if self.missing else ""

    @property
    def check(self) -> CheckResult:
        """All sections' findings and figure statuses together."""
        out = CheckResult()
        for s in self.sections:
            out.findings.extend(s.check.findings)
            out.figures.extend(s.check.figures)
            out.notes.extend(s.check.notes)
            out.genre.extend(s.check.genre)
        return out

    @property
    def signable(self) -> bool:
        """True when the draft is :attr:`ok` and the genre check found nothing to strike out."""
        return self.ok and all(s.check.genre_ok for s in self.sections)

    @property
    def sources(self) -> list[Source]:
        """Distinct passages drawn on, in order of use."""
        seen: dict[str, Source] = {}
        for s in self.sections:
            for src in s.sources:
                seen.setdefault(src.chunk_id, src)
        return list(seen.values())

    def user_words(self) -> list[str]:
        """The user's own words the draft carries: figure names and units, facts (kept as typed when converting)."""
        out: list[str] = []
        for s in self.sections:
            out += [f.name for f in s.figures] + [f.unit for f in s.figures] + [f.text for f in s.facts]
        return out

    def _convert(self, text: str) -> str:
        if self.script != "traditional":
            return text
        from drafter.drafting.clauses import to_script

        return to_script(text, "traditional", self.user_words())

    def markdown(self, marked: bool = True) -> str:
        """The draft as Markdown: ``# title``, ``## 一、…`` headings, findings marked."""
        parts = [f"# {self.title}"] if self.with_title else []
        for s in self.sections:
            if s.heading:
                parts.append(f"## {s.heading}")
            parts.append(s.marked_body() if marked else s.body)
        parts.append(self.incomplete_note())
        return self._convert("\n\n".join(p for p in parts if p)) + "\n"

    @property
    def text(self) -> str:
        """Plain text of the draft (headings as lines, no Markdown marks, no finding marks)."""
        parts = [self.title] if self.with_title else []
        for s in self.sections:
            parts.extend([s.heading, s.body])
        parts.append(self.incomplete_note())
        return self._convert("\n\n".join(p for p in parts if p)) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: title, text, ok, sections (kind, heading, text, sources, check), sources, check."""
        return {
            "title": self._convert(self.title),
            "text": self.text,
            "ok": self.ok,
            "complete": self.complete,
            "missing_sections": [self._convert(m) for m in self.missing],
            "error": self.error,
            "script": self.script,
            "sections": [
                {
                    "kind": s.kind, "heading": self._convert(s.heading), "text": self._convert(s.body),
                    "strategy": s.strategy, "prompt": s.prompt, "sources": [x.to_dict() for x in s.sources],
                    "check": s.check.to_dict(), "warnings": s.warnings, "latency": round(s.latency, 3),
                    "tokens": {"prompt": s.prompt_tokens, "completion": s.completion_tokens},
                }
                for s in self.sections
            ],
            "sources": [x.to_dict() for x in self.sources],
            "check": self.check.to_dict(),
        }


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
