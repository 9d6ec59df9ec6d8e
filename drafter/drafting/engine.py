"""The drafting engine: one section at a time — retrieve, prompt, generate, check, repair.

Number strategies (``strategy=``; the eval harness compares them):

``compose``
    Numbers by construction (see :mod:`drafter.drafting.compose`): Drafter writes every
    figure clause; the model writes only numeral-free text around them.
``free``
    Passages with their numbers + the figures + "use only these numbers" (S0 of
    shared/notes/number-strategies.md). Prompting alone.
``masked``
    As ``free`` with every quantity in the passages masked (××): the style
    stays, the stale figures go (S1).
``slots``
    Masked passages and figures given as markers 【1】…【n】 that Drafter fills
    with the exact figure text after generation, so the model never types a figure (S2).
``grammar``
    As ``slots``, plus a llama.cpp grammar forbidding digits outside markers
    (embedded server only; S4a).
``masked-names``
    As ``masked``, with other places' names in the passages masked too
    (:func:`drafter.guard.names.mask_names`: 海星村 → 某村, 仙河镇 → 某镇).
``weave`` (default)
    The model writes the report's prose — per paragraph a lead, an effect
    after each clause, a close; headings and explanations of problems and
    plans; the opening's basis and result — around the clauses Drafter writes
    (:mod:`drafter.drafting.weave`, :mod:`drafter.drafting.weave_writer`); on the embedded server
    a grammar holds every clause verbatim and forbids digits elsewhere.

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
import time
from collections.abc import Callable, Sequence
from typing import Any

from drafter.drafting import compose as cp
from drafter.errors import InputError, ModelError, PromptError
from drafter.figures import Fact, Figure, FigureSet
from drafter.corpus.kinds import label
from drafter.drafting.prompts import Prompt, PromptLibrary
from drafter.output.draft import Draft, SectionDraft, Source  # noqa: F401  (their home; kept importable from here)
from drafter.text.script import to_simplified, to_traditional
from drafter.text.tokens import count_tokens

STRATEGIES = {
    "compose": "Drafter writes every figure clause; the model writes numeral-free lead-ins as JSON.",
    "free": "Passages with numbers + figures; prompting only.",
    "masked": "Passages with numbers masked + figures.",
    "slots": "Masked passages; figures as markers 【n】 filled by Drafter after generation.",
    "grammar": "As slots, with a llama.cpp grammar forbidding digits outside markers (embedded server only).",
    "masked-names": "As masked, with other places' names in the passages masked too (某村, 某镇 …).",
    "weave": "The model writes each paragraph's prose around Drafter's figure clauses (grammar-held on the embedded server; default).",
}
"""Named number strategies."""

MIN_PARAGRAPH_HAN = 30
"""An opening/closing paragraph with fewer Han characters than this (after cleaning) is asked for again."""
SLOT_RE = re.compile(r"[【\[]\s*(\d{1,2})\s*[】\]]")
GRAMMAR_NO_DIGITS = 'root ::= (char | slot)+\nchar ::= [^0-9０-９【】\\[\\]]\nslot ::= "【" [1-9] [0-9]? "】"\n'
"""GBNF grammar: any text without digits, except inside 【n】 slot markers."""


def mask_numbers(text: str, mask: str = "××") -> str:
    """Replace every quantity and placeholder in ``text`` with ``mask`` (the style stays, the figures go)."""
    from drafter.guard.quantities import extract_quantities

    out = text
    for q in sorted(extract_quantities(text), key=lambda q: -q.start):
        out = out[: q.start] + mask + out[q.end :]
    return out


def fill_slots(text: str, figures: Sequence[Figure]) -> str:
    """Replace 【n】 markers by the n-th figure's text; a unit written again after a marker is dropped."""

    def repl(m: re.Match) -> str:
        i = int(m.group(1))
        if 1 <= i <= len(figures):
            return "\x00" + str(i) + "\x00"
        return m.group(0)

    text = SLOT_RE.sub(repl, text)
    for i, fig in enumerate(figures, 1):
        token = f"\x00{i}\x00"
        if fig.unit:
            text = text.replace(token + fig.unit, token)
        text = text.replace(token, fig.render())
    return text


def _clean_prose(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines()]
    lines = [re.sub(r"^(#+\s*|[-*]\s+)", "", ln).replace("**", "") for ln in lines if ln]
    lines = [ln for ln in lines if not re.match(r"^(一、)?工作开展情况$|^好的|^以下是", ln)]
    return "\n\n".join(lines)


Retrieve = Callable[[str, Sequence[Figure], Sequence[Fact]], list[Any]]
"""``retrieve(kind, figures, facts) -> list[Hit]``: passages for one section."""

_SCHEMAS: dict[str, dict] = {
    "opening": {"type": "object", "properties": {"text": {"type": "string", "maxLength": 200}}, "required": ["text"]},
    "closing": {"type": "object", "properties": {"text": {"type": "string", "maxLength": 120}}, "required": ["text"]},
}


def _schema(kind: str, n: int, keys: Sequence[str] = ()) -> dict:
    if kind == "work":
        props = {"intro": {"type": "string", "maxLength": 100}}
        props.update({k: {"type": "string", "maxLength": 90} for k in keys})
        return {"type": "object", "properties": props, "required": ["intro", *keys]}
    if kind in ("problems", "next_steps"):
        item = {"type": "object", "properties": {"heading": {"type": "string", "maxLength": 24}, "text": {"type": "string", "maxLength": 110}},
                "required": ["heading", "text"]}
        return {"type": "object", "properties": {"items": {"type": "array", "items": item, "minItems": n, "maxItems": n}}, "required": ["items"]}
    return _SCHEMAS.get(kind, _SCHEMAS["opening"])


class Engine:
    """Drafts sections with one LLM client.

    Args:
        llm: a :class:`drafter.llm.client.LLMClient`.
        prompts: the prompt library.
        retrieve: passages for a section (see :data:`Retrieve`), or None for none.
        strategy: one of :data:`STRATEGIES`.
        temperature: sampling temperature; repair_rounds: bound on repair rounds.
        schema_ok: the backend honours ``response_format`` JSON schemas (llama.cpp server).
        grammar_ok: the backend honours GBNF grammars (llama.cpp server).
        variant: prompt variant suffix (``work-{variant}``), or None.
        on_event: ``on_event(name, payload)`` for progress/streaming (``section_start``, ``token``, ``section_done``).
        passages: passages per section; excerpt_chars: characters of each passage shown in ``compose``.
        targets: wanted Han characters per section kind (:func:`drafter.drafting.lengths.section_targets`);
            a kind not given takes its prompt's ``target_chars``.

    Raises:
        InputError: unknown strategy, or ``grammar`` on a backend without grammars.
    """

    def __init__(self, llm: Any, prompts: PromptLibrary, retrieve: Retrieve | None = None, strategy: str = "weave",
                 temperature: float = 0.3, repair_rounds: int = 1, schema_ok: bool = True, grammar_ok: bool = False,
                 variant: str | None = None, on_event: Callable[[str, Any], None] | None = None,
                 passages: int = 3, excerpt_chars: int = 120, targets: dict[str, int] | None = None) -> None:
        if strategy not in STRATEGIES:
            raise InputError(f"Unknown number strategy '{strategy}'; use one of {', '.join(STRATEGIES)}.")
        if strategy == "grammar" and not grammar_ok:
            raise InputError("The 'grammar' strategy needs the embedded llama.cpp server (no --base-url).")
        self.llm, self.prompts, self.retrieve = llm, prompts, retrieve
        self.strategy, self.temperature, self.repair_rounds = strategy, temperature, repair_rounds
        self.schema_ok, self.grammar_ok, self.variant = schema_ok, grammar_ok, variant
        self.on_event = on_event or (lambda name, payload: None)
        self.passages = passages
        self.excerpt_chars = excerpt_chars
        self.targets = dict(targets or {})
        self.work_topics: list[str] = []  # subsection headings of the last work section (plans take them up)
        self.work_items: dict[int, list[str]] = {}  # per topic, what the last work section did (weave problems and plans)
        self._rejects: dict[int, Callable[[str], bool]] = {}  # per section being drafted: model sentences to drop

    # -- helpers -------------------------------------------------------------
    def _prompt(self, kind: str) -> Prompt:
        if self.strategy == "weave":
            return self.prompts.for_section(kind, self.variant, family="weave")
        prose = self.strategy != "compose" and kind in ("work", "opening")
        return self.prompts.for_section(kind, self.variant, prose=prose)

    def target(self, kind: str, prompt: Prompt) -> int:
        """Wanted Han characters of a section of ``kind`` (store median, else the prompt's ``target_chars``)."""
        return int(self.targets.get(kind) or prompt.meta.target_chars)

    def _passage_text(self, text: str, prompt: Prompt, allowed: str | None = None) -> str:
        """What the model sees of a passage: numbers kept (free), masked (prose strategies; names
        too in masked-names) or left out with their sentences (compose,
        :func:`drafter.drafting.compose.voice_excerpt`, which also leaves out sentences naming places
        not in ``allowed``). Sentences addressing a model are left out first, in every
        strategy (:func:`drafter.drafting.passages.drop_instructions`)."""
        from drafter.drafting.passages import drop_instructions

        text = drop_instructions(text)
        if prompt.meta.strategy != "prose":
            return cp.voice_excerpt(text, self.excerpt_chars, allowed)
        if self.strategy == "masked-names":
            from drafter.guard.names import mask_names

            text = mask_names(text, allowed or "")
        return to_simplified(text if self.strategy == "free" else mask_numbers(text))

    def _fit(self, prompt: Prompt, values: dict[str, Any], passages: list[dict],
             sec: SectionDraft | None = None) -> tuple[list[dict], list[dict]]:
        """Render, dropping the lowest-ranked passages until the prompt fits its budget.

        Also records in ``sec.instructions`` the prompt's own wording (rendered
        without passages, facts or outline; JSON example lines excluded) and
        the passages' text, so that model text echoing the instructions or
        copying a passage can be recognised and dropped.
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

    def _call(self, sec: SectionDraft, msgs: list[dict], max_tokens: int, grammar: str | None = None) -> str:
        """A prose reply; one cut off at ``max_tokens`` is asked for again once with twice the
        budget, and a warning is kept when it is cut off again (the guard still checks it)."""
        text, cut = self._complete(sec, msgs, max_tokens, grammar=grammar)
        if cut:
            text, cut = self._complete(sec, msgs, max_tokens * 2, grammar=grammar)
            if cut:
                sec.warnings.append(f"The model's reply was cut off at {max_tokens * 2} tokens twice; the text may end early "
                                    f"(raise budget.output in the prompt '{sec.prompt}').")
        return text

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

    def _json(self, sec: SectionDraft, msgs: list[dict], max_tokens: int, schema: dict) -> dict:
        """The model's JSON object, asked for twice at most; a reply cut off at the budget is asked
        for again with twice the budget. Two failures leave the model's text out, with a warning."""
        budget, cut = max_tokens, False
        for attempt in range(2):
            text, cut = self._complete(sec, msgs, budget, schema)
            data = cp.parse_json_reply(text)
            if data is not None:
                return data
            if cut:
                budget = max_tokens * 2
        sec.dropped.append("(the model's reply was not valid JSON twice; its text was left out)")
        why = f"cut off at {budget} tokens" if cut else "not valid JSON"
        sec.warnings.append(f"The model's reply was {why} twice; only Drafter's own sentences are in this section "
                            f"(prompt '{sec.prompt}').")
        return {}

    def _text(self, sec: SectionDraft, value: Any, max_sentences: int | None = None) -> str:
        text, dropped = cp.clean_model_text(value if isinstance(value, str) else "", max_sentences,
                                            echo_of=sec.instructions, reject=self._rejects.get(id(sec)))
        sec.dropped.extend(dropped)
        return text

    # -- sections ---------------------------------------------------------------
    def write_section(self, kind: str, figset: FigureSet, figures: Sequence[Figure], facts: Sequence[Fact],
                      heading: str = "") -> SectionDraft:
        """Draft one section.

        Args:
            kind: section kind; figset: header fields (organisation, period, names).
            figures: the figures this section must carry (each exactly once).
            facts: this period's facts for the section.
            heading: heading line (e.g. ``一、工作开展情况``), or ``""``.

        Returns:
            A :class:`SectionDraft` with its check result.

        Raises:
            PromptError, ModelError: prompt or model failures (completed sections are the caller's).
        """
        from drafter.guard.check import allowed_text, check_draft
        from drafter.guard.genre import check_genre

        prompt = self._prompt(kind)
        sec = SectionDraft(kind=kind, heading=heading, body="", figures=list(figures), facts=list(facts),
                           strategy=self.strategy, prompt=prompt.name, prompt_sha256=prompt.sha256,
                           target=self.target(kind, prompt))
        self.on_event("section_start", sec)
        hits = self.retrieve(kind, figures, facts) if self.retrieve and prompt.meta.strategy != "weave" else []
        hits = hits[: self.passages]
        # the whole user input: a name the passages have and this has not is another place's
        user = FigureSet(figures=list(figures), title=figset.title, organisation=figset.organisation,
                         period=figset.period, facts=list(figset.facts), names=list(figset.names))
        allowed = allowed_text(user)
        context = [h.chunk.text for h in hits]
        passages = [
            {"title": to_simplified(h.chunk.report_title), "path": to_simplified(" / ".join(h.chunk.section_path)),
             "text": self._passage_text(h.chunk.text, prompt, allowed)}
            for h in hits
        ]
        passages = [p for p in passages if p["text"]]
        values = {
            "organisation": to_simplified(figset.organisation or figset.title or "本单位"),
            "period": to_simplified(figset.period or "本期"),
            "title": to_simplified(figset.title or ""),
            "section_label": label(kind),
            "facts": [cp.fact_clause(f) for f in facts],
            "target_chars": prompt.meta.target_chars,
        }
        if prompt.meta.strategy == "weave":
            from drafter.drafting.weave_writer import write_weave

            sec.sources = []
            body, context = write_weave(self, sec, kind, prompt, figset, allowed, self.target(kind, prompt), self.work_topics)
            hits = []
        elif prompt.meta.strategy == "prose":
            body = self._prose(sec, prompt, values, passages, user)
        else:
            self._rejects[id(sec)] = cp.stale_sentence_filter(context, allowed)
            try:
                body = self._compose(sec, kind, prompt, values, passages)
            finally:
                self._rejects.pop(id(sec), None)
        if prompt.meta.strategy != "weave":
            sec.sources = [Source(h.chunk.report_title, h.chunk.section_path, h.chunk.id, h.score) for h in hits[: sec.passages_used]]
            sec.hits = list(hits)
        if kind == "work":
            self.work_topics = re.findall(r"^（[一二三四五六七八九十]+）([^。\n]{2,20})$", body, re.M)
        sec.body = body
        sec.check = check_draft(body, user, context=context)
        sec.check.genre = check_genre(body, kind, figures=sec.figures, user_text=allowed, target=sec.target,
                                      script="simplified")
        self.on_event("section_done", sec)
        return sec

    def _compose(self, sec: SectionDraft, kind: str, prompt: Prompt, values: dict, passages: list[dict]) -> str:
        figures, facts = sec.figures, sec.facts
        out = prompt.meta.budget.output
        if kind == "work":
            groups = cp.group_by_topic(figures, facts)
            if not groups:
                raise InputError("The work section has no figures and no facts to write about.")
            values["groups"] = [{"heading": g.heading, "outline": g.outline()} for g in groups]
            msgs, used = self._fit(prompt, values, passages, sec)
            sec.messages, sec.passages_used = msgs, len(used)
            data = self._json(sec, msgs, out, _schema("work", len(groups), [g.heading for g in groups]))
            paras = [self._text(sec, data.get("intro"), 2)] if data.get("intro") else []
            seen_leads: set[str] = set()
            for i, g in enumerate(groups):
                lead = self._text(sec, data.get(g.heading), 2)
                if lead in seen_leads:  # the same lead for two subsections says nothing about either
                    sec.dropped.append(lead)
                    lead = ""
                seen_leads.add(lead)
                paras.append(f"（{cp.ordinal(i + 1)}）{g.heading}")
                paras.append(lead + cp.enumerate_items(g.items(kind, mentioned=lead)))
            return "\n\n".join(p for p in paras if p)
        if kind in ("problems", "next_steps"):
            target_groups = cp.group_by_topic(figures, []) if figures else []
            values["groups"] = [{"heading": g.heading, "outline": g.outline()} for g in target_groups]
            n = min(4, max(3 if kind == "next_steps" else 2, len(facts)))
            values["n_items"] = n
            msgs, used = self._fit(prompt, values, passages, sec)
            sec.messages, sec.passages_used = msgs, len(used)
            data = self._json(sec, msgs, out, _schema(kind, n))
            items = [it for it in data.get("items", []) if isinstance(it, dict)][:n]
            paras = []
            for it in items:
                head = self._text(sec, it.get("heading"), 1).rstrip("。")
                text = self._text(sec, it.get("text"), 3)
                if head or text:
                    paras.append((head, text))
            written = "".join(h + t for h, t in paras)
            for fact in facts:  # every fact is mentioned, in the model's words or as given
                if cp.fact_clause(fact) not in written:
                    paras.append((cp.fact_clause(fact), ""))
            if figures and kind == "problems" and paras:
                # figures of a problems section support the problems: "从数据看，……" after the last one
                head, text = paras[-1]
                paras[-1] = (head, text + "从数据看，" + cp.enumerate_items([cp.figure_clause(f, kind) for f in figures]))
            elif figures:
                heading = "抓好目标任务落实" if kind == "next_steps" else "有关情况"
                paras.append((heading, cp.enumerate_items([cp.figure_clause(f, kind) for f in figures])))
            return "\n\n".join(f"（{cp.ordinal(i)}）{h}{'。' if h else ''}{t}" for i, (h, t) in enumerate(paras, 1))
        # opening / closing / other: one paragraph
        msgs, used = self._fit(prompt, values, passages, sec)
        sec.messages, sec.passages_used = msgs, len(used)
        data = self._json(sec, msgs, out, _schema(kind, 0))
        text = self._text(sec, data.get("text"), 4)
        if len(cp.han(text)) < MIN_PARAGRAPH_HAN:
            # mostly echo, copy or numbers: ask once more, without the passages it copied from
            msgs, _ = self._fit(prompt, values, [], sec)
            sec.messages, sec.passages_used = msgs, 0
            data = self._json(sec, msgs, out, _schema(kind, 0))
            retry = self._text(sec, data.get("text"), 4)
            text = retry if len(cp.han(retry)) > len(cp.han(text)) else text
        if figures:
            summary = "，".join(cp.figure_clause(f, kind) for f in figures) + "。"
            tail = re.search(r"现将[^。]{0,16}如下。$", text)
            text = text[: tail.start()] + summary + tail.group(0) if tail else text + summary
        if kind == "opening" and not re.search(r"如下。$", text):
            text += "现将有关情况报告如下。"  # the genre's closing sentence of a 导语
        for fact in facts:
            if cp.fact_clause(fact) not in text:
                text += cp.fact_clause(fact) + "。"
        return text

    def _prose(self, sec: SectionDraft, prompt: Prompt, values: dict, passages: list[dict], user: FigureSet) -> str:
        from drafter.guard.check import check_draft

        slots = self.strategy in ("slots", "grammar")
        figures = sec.figures
        values["figures"] = [{"name": to_simplified(f.name), "text": f"【{i}】" if slots else f.render()} for i, f in enumerate(figures, 1)]
        values["slots"] = slots
        msgs, used = self._fit(prompt, values, passages, sec)
        sec.messages, sec.passages_used = msgs, len(used)
        grammar = GRAMMAR_NO_DIGITS if self.strategy == "grammar" else None
        out = prompt.meta.budget.output
        reply = self._call(sec, msgs, out, grammar=grammar)
        body = _clean_prose(fill_slots(reply, figures) if slots else reply)
        history = list(msgs)
        for _ in range(self.repair_rounds):
            result = check_draft(body, user, context=[p["text"] for p in passages])
            if result.ok:
                break
            problems = "\n".join(f"- {f.explanation or f.kind + '：' + f.text}" for f in result.findings)
            history += [{"role": "assistant", "content": reply},
                        {"role": "user", "content": f"这段文字有以下问题：\n{problems}\n请改正后重写全文，只输出正文。"}]
            reply = self._call(sec, history, out, grammar=grammar)
            body = _clean_prose(fill_slots(reply, figures) if slots else reply)
            sec.repair_rounds += 1
        return body
