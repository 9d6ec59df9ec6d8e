"""Drafting one section with the ``weave`` strategy (see :mod:`drafter.drafting.weave`).

:func:`write_weave` plans the section (:mod:`drafter.drafting.section_plan`), asks the
model for each paragraph — under a grammar on the embedded llama.cpp server,
validated and asked again elsewhere — cleans every part the model wrote, and
joins the section in the genre's layout. It records on the
:class:`~drafter.drafting.engine.SectionDraft` what it retrieved, asked, got and
dropped, and a warning for each paragraph that fell back to ``compose`` or was
written without the user's input (generic problems).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from drafter.drafting import compose as cp
from drafter.drafting.clauses import user_words
from drafter.drafting.replies import follow_up
from drafter.figures import Figure, FigureSet
from drafter.guard.genre import check_genre, rules
from drafter.drafting.compose import topic_of as topics_index, topics
from drafter.corpus.kinds import label
from drafter.drafting.section_plan import (Block, basis_prefix, place_of, plan_closing, plan_next_steps, plan_opening, plan_problems, plan_work)
from drafter.text.punctuation import QUOTE_PAIRS, STRAIGHT_QUOTES, TITLE_PAIRS, mark_chars, mark_class
from drafter.text.textutil import han_count
from drafter.drafting.weave import Paragraph, Reply, assemble, clean_reply, fallback, grammar, split_reply

if TYPE_CHECKING:
    from drafter.drafting.engine import Engine, SectionDraft
    from drafter.drafting.prompts import Prompt

WORK_DONE = ("opening", "work")
_DIGIT = re.compile(r"[0-9０-９]")
_MARKER = re.compile(r"[一二三四五六七八九十]是")
_VAGUE = re.compile(r"(?:超过|近|约|达|逾|上|数|几)[十百千万亿]|[十百千万亿](?:余|多)(?:[元户人个亩])|百分之"
                    r"|(?:共计|累计|合计|总计|共|约)(?:场次|人次|件次|户次|次|个|户|人|件|场|处|项|名|亩|元|万元|公里|吨)"
                    r"|(?<![0-9０-９十百千万两一二三四五六七八九])(?:人次|件次|户次|场次)"
                    r"|[近过大多]?一半|近半|过半|大半|成倍|翻番|翻了一番")
"""A number left out or written in words (共计场次, 走访农户人次, 近万元): the grammar kept the
digits out, and what stands without them is no sentence."""
TARGET_ASK = 1.4
ASK_MAX = 380
"""The most characters asked for one paragraph: a section with few items stays shorter than the
store's median (and its length finding says so) rather than padded."""
"""The length asked of the model, over the paragraph's share of the target: a small model
writes about four fifths of what it is asked for."""
PART_COPY_CHARS = 12
"""A part with a run of this many characters standing in a passage is dropped (the check calls
20 copied; two shorter copies in adjoining parts would make one)."""
ECHO_CHARS = 9
"""A part sharing a run of this many letters with the prompt's own wording echoes it (its
copies of past passages are the copy guard's, :func:`drafter.drafting.compose.stale_sentence_filter`)."""


def plan(kind: str, sec: SectionDraft, figset: FigureSet, target: int, work_topics: list[str]) -> list[Block]:
    """The section's blocks (see :mod:`drafter.drafting.section_plan`); a generic problems plan is noted in warnings."""
    figures, facts = sec.figures, sec.facts
    if kind == "work":
        return plan_work(figures, facts, target)
    if kind == "problems":
        blocks, generic = plan_problems(figures, facts, target)
        if generic:
            sec.warnings.append("存在问题: no problem facts or figures were given; the problems are the genre's common ones, "
                                "written in the organisation's voice — check them against this period (or add facts with "
                                "section: problems).")
        return blocks
    if kind == "next_steps":
        return plan_next_steps(figures, facts, target, work_topics)
    if kind == "opening":
        place = place_of(figset.organisation, figset.title, figset.names)
        head = basis_prefix(user_words(figset.organisation or ""), user_words(figset.period or ""), user_words(figset.title or ""),
                            [user_words(n) for n in figset.names])
        return plan_opening(figures, facts, target, place, figset.title, head=head)
    return plan_closing(target)


_QUOTES = re.compile(mark_class(mark_chars({**QUOTE_PAIRS, **TITLE_PAIRS}, STRAIGHT_QUOTES)))  # every quotation and title mark


def _near(name: str, text: str, slack: int = 3) -> bool:
    """``name`` stands in ``text`` with at most ``slack`` characters slipped in (成立了村红白理事会 for
    成立村红白理事会); quotation marks and book-title marks are ignored on both sides (完成了村两委换届 for
    完成村“两委”换届)."""
    name, text = _QUOTES.sub("", name), _QUOTES.sub("", text)
    if not name:
        return False
    if name in text:
        return True
    first = [i for i, ch in enumerate(text) if ch == name[0]]
    for i in first:
        j, k = i, 0
        while j < len(text) and k < len(name) and j - i < len(name) + slack:
            if text[j] == name[k]:
                k += 1
            j += 1
        if k == len(name):
            return True
    return False


def _part_checker(kind: str, echo: set[str], reject: Any, allowed: str, figures: list[Figure], p: Paragraph,
                  extra_names: list[str] | None = None):
    """The test each model-written part must pass (``part, text -> reason``, '' to keep it)."""
    from drafter.guard.quantities import extract_quantities

    r = rules()
    tense = r.future if kind in WORK_DONE else r.past if kind == "next_steps" else ()
    bad_words = [*r.chat, *r.prompt, *r.model_only, *(r.problem_only_not if kind == "problems" else ())]
    clauses = [c.text for c in p.clauses]
    names = [user_words(f.name) for c in p.clauses for f in c.figures if len(f.name) >= 4]
    names += [c.text for c in p.clauses if c.fact and len(c.text) >= 4]
    names += [n for n in (extra_names or []) if len(n) >= 4]

    def check(part: str, text: str) -> str:
        if _DIGIT.search(text) or extract_quantities(text) or _VAGUE.search(text):
            return "a number"
        if echo and cp._ngrams(text, ECHO_CHARS) & echo:
            return "echoes the prompt"
        if part != "heading" and (_MARKER.search(text) or any(c in text for c in clauses)):
            return "runs into another item"
        if part in ("lead", "close") and any(_near(n, text) for n in names):
            return "names its own items" if kind == "work" else "repeats the work done"
        if reject is not None and reject(text):
            return "another place's name or a copied run"
        if any(w in text for w in bad_words):
            return "prompt or chat words"
        if any(p.search(text) for p in tense):
            return "plan wording in work done" if kind in WORK_DONE else "done wording in a plan"
        found = [f for f in check_genre(text, kind, user_text=allowed, figures=figures)
                 if f.kind in ("unsupported", "artefact", "broken_clause", "mixed_script")]
        if found:
            return found[0].kind.replace("_", " ")
        if part == "heading" and not 4 <= han_count(text) <= 20:
            return "not a heading"
        if han_count(text) < (8 if part in ("lead", "close") else 4):
            return "too short"
        return ""

    return check


def _max_tokens(p: Paragraph) -> int:
    b = p.budget()
    chars = sum(hi for _, hi in b.values()) + sum(len(c.text) + 3 for c in p.clauses)
    if "effect" in b:
        chars += b["effect"][1] * (len(p.clauses) - 1)
    return int(chars * 1.1) + 40


def _ask(engine: Engine, sec: SectionDraft, p: Paragraph, msgs: list[dict], temperature: float | None = None) -> Reply | None:
    """The model's reply for one paragraph, split into parts; None when it does not hold the clauses."""
    budget = _max_tokens(p)
    if engine.grammar_ok:
        g = grammar(p, forbid="将" if p.kind in WORK_DONE else "")
        for tokens in (budget, budget * 2):
            text, cut = engine._complete(sec, msgs, tokens, grammar=g, temperature=temperature)
            reply = split_reply(text, p, strict=False)
            if reply is not None and not cut:
                return reply
        return reply
    text, _ = engine._complete(sec, msgs, budget, temperature=temperature)
    reply = split_reply(text, p)
    if reply is not None or not p.clauses:
        return reply
    must = "\n".join(f"- {c.text}" for c in p.clauses)
    again = msgs + [{"role": "assistant", "content": text},
                    {"role": "user", "content": follow_up("clauses", clauses=must)}]
    text, _ = engine._complete(sec, again, budget, temperature=temperature)
    return split_reply(text, p)


PARAGRAPH_TRIES = 3
"""A paragraph that lost its lead or close to the checks reads as a list: two more tries, warmer each time."""
RETRY_TEMPERATURE = 0.8
"""Sampling temperature of the second try at a paragraph whose reply lost essential parts to the
part check (the first try's messages without passages, sampled warmer to get other words)."""


def _score(r: Reply, p: Paragraph) -> int:
    """How many of the parts the plan wants a cleaned reply kept (the lead and the close count twice: a
    paragraph without either is asked for again)."""
    n = 0
    if p.own_heading and r.heading:
        n += 1
    if p.lead and r.lead:
        n += 2
    if p.effects:
        n += sum(1 for e in r.effects if e)
    if p.close and r.close:
        n += 2
    return n


def write_weave(engine: Engine, sec: SectionDraft, kind: str, prompt: Prompt, figset: FigureSet, allowed: str,
                target: int, work_topics: list[str]) -> tuple[str, list[str]]:
    """Draft one section with the model writing the prose around Drafter's clauses.

    Args:
        engine: the drafting engine (model client, retrieval, settings).
        sec: the section being drafted (figures, facts; records replies, drops, warnings, sources).
        kind: section kind. prompt: the section's ``weave`` prompt.
        figset: the user's header fields. allowed: the user's words (:func:`drafter.guard.check.allowed_text`).
        target: wanted Han characters of the section. work_topics: headings of the work
            section's subsections (plans take them up when the user gives few).

    Returns:
        ``(body, context)``: the section body and the passages shown to the model
        (for the check's stale and copied findings).
    """
    from drafter.drafting.engine import Source

    blocks = plan(kind, sec, figset, target, work_topics)
    if kind == "work":  # what was done per topic: problems and plans are written against it
        engine.work_items = {topics_index(b.heading): [user_words(f.name) for p in b.paragraphs for c in p.clauses for f in c.figures]
                             + [c.text for p in b.paragraphs for c in p.clauses if c.fact] for b in blocks}
    org = user_words(figset.organisation or figset.title or "本单位")
    values_base = {
        "organisation": org, "period": user_words(figset.period or "本期"), "title": user_words(figset.title or ""),
        "section_label": label(kind), "facts": [user_words(f.text) for f in sec.facts],
    }
    context: list[str] = []
    seen_sources: set[str] = set()
    written_heads: list[str] = []
    out_blocks: list[str] = []
    for block in blocks:
        texts = []
        for p in block.paragraphs:
            figs = [f for c in p.clauses for f in c.figures]
            facts = [c.fact for c in p.clauses if c.fact]
            hits = engine.retrieve(kind, figs or sec.figures, facts or sec.facts) if engine.retrieve else []
            hits = hits[: engine.passages]
            sec.hits.extend(hits)
            for h in hits:
                if h.chunk.id not in seen_sources:
                    seen_sources.add(h.chunk.id)
                    sec.sources.append(Source(h.chunk.report_title, h.chunk.section_path, h.chunk.id, h.score))
                    context.append(h.chunk.text)
            passages = [{"title": "", "path": "", "text": cp.voice_excerpt(h.chunk.text, engine.excerpt_chars, allowed)} for h in hits]
            passages = [x for x in passages if x["text"]]
            hints = ""
            topic = topics()[topics_index(p.heading)]
            generic_item = p.heading in (topic.get("problem"), topic.get("plan"))  # not the user's own problem
            if kind in ("problems", "next_steps") and not p.clauses and generic_item:
                hints = topics()[topics_index(p.heading)].get("problem_signs" if kind == "problems" else "plan_measures", "")
            values = dict(values_base, heading=user_words(p.heading), items=[p.literal(i) for i in range(len(p.clauses))],
                          target_chars=max(40, min(ASK_MAX, round(p.target * TARGET_ASK))), enumerate=p.enumerate,
                          others=list(written_heads), hints=hints)
            bare = dict(values, items=[], heading="", others=[], facts=[], organisation="", title="", period="", hints="")
            wording = "\n".join(m["content"] for m in prompt.render(**bare, passages=[{"title": "", "path": "", "text": ""}]))
            echo = cp._ngrams(wording, ECHO_CHARS)
            msgs, used = engine._fit(prompt, values, passages)
            sec.messages = sec.messages or msgs
            sec.passages_used = max(sec.passages_used, len(used))
            done = [n for ns in engine.work_items.values() for n in ns] if kind in ("problems", "next_steps") else []
            check = _part_checker(kind, echo, cp.stale_sentence_filter([h.chunk.text for h in hits], allowed, PART_COPY_CHARS),
                                  allowed, sec.figures, p, done)
            kept = None
            tries = PARAGRAPH_TRIES
            for attempt in range(tries):
                if attempt:  # once more, without the passages it may have copied, sampled warmer
                    msgs = engine._fit(prompt, values, [])[0]
                reply = _ask(engine, sec, p, msgs, None if attempt == 0 else RETRY_TEMPERATURE + 0.1 * (attempt - 1))
                if reply is None:
                    continue
                candidate, dropped = clean_reply(reply, p, check)
                sec.dropped.extend(dropped)
                if kept is None or _score(candidate, p) > _score(kept, p):
                    kept = candidate
                if _score(kept, p) >= _score(Reply(heading="x", lead="x", effects=["x"] * len(p.clauses), close="x"), p) - 1:
                    break  # every part the plan wants (or all but one) was kept
            if kept is None:
                sec.warnings.append(f"{p.heading or label(kind)}: the model's reply did not hold every figure clause verbatim "
                                    "twice; this paragraph has Drafter's clauses only (compose).")
                text = fallback(p)
            else:
                if p.own_heading and not kept.heading:
                    kept.heading = user_words(p.heading)
                text = assemble(kept, p)
                if p.own_heading:
                    written_heads.append(kept.heading)
            texts.append(text)
        out_blocks.append(_layout(kind, block, texts, len(out_blocks) + 1))
    return "\n\n".join(t for t in out_blocks if t), context


def _layout(kind: str, block: Block, texts: list[str], number: int) -> str:
    """A block in the genre's layout: work subsections headed （一）…, items of problems and plans numbered inline."""
    body = "\n\n".join(t for t in texts if t)
    if kind == "work":
        return f"（{cp.ordinal(number)}）{user_words(block.heading)}\n\n{body}"
    if kind in ("problems", "next_steps"):
        return f"（{cp.ordinal(number)}）{body}"
    return body
