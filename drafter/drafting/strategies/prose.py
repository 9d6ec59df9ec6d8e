"""The prose strategies: the model writes the section freely; the number guard and repair rounds decide.

One class, :class:`ProseStrategy`, configured five ways (shared/notes/number-strategies.md):

``free`` (S0)
    Passages with their numbers + the figures + "use only these numbers". Prompting alone.
``masked`` (S1)
    As ``free`` with every quantity in the passages masked (××): the style stays, the stale figures go.
``masked-names``
    As ``masked``, with other places' names masked too (:func:`drafter.guard.names.mask_names`: 海星村 → 某村).
``slots`` (S2)
    Masked passages; figures given as markers 【1】…【n】 that Drafter fills with the exact figure
    text after generation (:func:`fill_slots`), so the model never types a figure.
``grammar`` (S4a)
    As ``slots``, plus a llama.cpp grammar forbidding digits outside markers (embedded server only).

Only ``work`` and ``opening`` have prose prompts (``work-prose``, ``opening-prose``); the other
kinds are written by ``compose`` (:meth:`ProseStrategy.plan` says so for each kind).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drafter.drafting.replies import ask_text, follow_up, grammar
from drafter.drafting.sentences import sentence
from drafter.drafting.strategies.base import KindPlan, Passages, Section, Strategy
from drafter.figures import Figure
from drafter.text.script import to_simplified

if TYPE_CHECKING:
    from drafter.drafting.engine import Engine

PROSE_KINDS = ("work", "opening")
"""The kinds with prose prompts (``{kind}-prose``); the others are written by ``compose``."""
SLOT_RE = re.compile(r"[【\[]\s*(\d{1,2})\s*[】\]]")


class ProseStrategy(Strategy):
    """The model writes ``work`` and ``opening`` freely from the figures; other kinds are ``compose``.

    Args:
        name, description: as listed in :data:`drafter.drafting.strategies.STRATEGIES`.
        passages: :attr:`Passages.KEPT`, :attr:`Passages.MASKED` or :attr:`Passages.MASKED_NAMES`.
        slots: figures are given as markers 【n】 that Drafter fills in after generation.
        grammar: the reply is held by the ``no_digits`` grammar (``replies.yaml``; needs a
            backend with grammars, checked by the engine).
        compose: the strategy writing the kinds without a prose prompt.
    """

    method = "prose"
    family = "prose"

    def __init__(self, name: str, description: str, passages: Passages, compose: Strategy,
                 slots: bool = False, grammar: bool = False) -> None:
        self.name, self.description, self.passages = name, description, passages
        self.slots, self.grammar, self.compose = slots, grammar, compose
        self.needs_grammar = grammar

    def plan(self, kind: str) -> KindPlan:
        """``work``/``opening``: prose; every other kind: ``compose`` (no prose prompt)."""
        if kind in PROSE_KINDS:
            return KindPlan("prose", self, "figures as markers 【n】 filled by Drafter" if self.slots else "figures written by the model")
        return KindPlan("compose", self.compose, "no prose prompt for this kind")

    def passage_text(self, text: str, allowed: str, excerpt_chars: int) -> str:
        """The passage with its numbers kept or masked, and other places' names masked (``masked-names``)."""
        if self.passages is Passages.MASKED_NAMES:
            from drafter.guard.names import mask_names

            text = mask_names(text, allowed or "")
        return to_simplified(text if self.passages is Passages.KEPT else mask_numbers(text))

    def reply_format(self, kind: str, **shape: Any) -> str | None:
        """The ``no_digits`` grammar for ``grammar``; free text otherwise."""
        return grammar("no_digits") if self.grammar else None

    def _body(self, reply: str, figures: Sequence[Figure]) -> str:
        return clean_prose(fill_slots(reply, figures) if self.slots else reply)

    def generate(self, engine: Engine, section: Section, passages: list[dict]) -> str:
        """The model's prose with the figures (or markers) it was given; markers filled in."""
        sec = section.sec
        values = self.values(section)
        values["figures"] = [{"name": to_simplified(f.name), "text": f"【{i}】" if self.slots else f.render()}
                             for i, f in enumerate(sec.figures, 1)]
        values["slots"] = self.slots
        msgs, used = engine._fit(section.prompt, values, passages, sec)
        sec.messages, sec.passages_used = msgs, len(used)
        reply = ask_text(engine, sec, msgs, section.prompt.meta.budget.output, grammar=self.reply_format(section.kind))
        section.state.update(history=list(msgs), reply=reply)
        return self._body(reply, sec.figures)

    def repair(self, engine: Engine, section: Section, body: str, passages: list[dict]) -> str:
        """Up to ``engine.repair_rounds`` rounds: the guard's findings are sent back and the whole text rewritten."""
        from drafter.guard.check import check_draft

        sec = section.sec
        history, reply = section.state["history"], section.state["reply"]
        for _ in range(engine.repair_rounds):
            result = check_draft(body, section.user, context=[p["text"] for p in passages])
            if result.ok:
                break
            problems = "\n".join(f"- {f.explanation or f.kind + '：' + f.text}" for f in result.findings)
            history += [{"role": "assistant", "content": reply},
                        {"role": "user", "content": follow_up("repair", problems=problems)}]
            reply = ask_text(engine, sec, history, section.prompt.meta.budget.output, grammar=self.reply_format(section.kind))
            body = self._body(reply, sec.figures)
            sec.repair_rounds += 1
        return body


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


@functools.lru_cache(maxsize=1)
def _not_report_line() -> re.Pattern:
    """A line of a free-written reply that is no report text (``sentences.yaml``, ``prose``)."""
    heads = "|".join(map(re.escape, sentence("prose", "heading_lines")))
    chat = "|".join(map(re.escape, sentence("prose", "chat_openers")))
    return re.compile(rf"^(一、)?(?:{heads})$|^(?:{chat})")


def clean_prose(text: str) -> str:
    """A free-written reply as paragraphs: Markdown marks, repeated headings and chat openers removed."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    lines = [re.sub(r"^(#+\s*|[-*]\s+)", "", ln).replace("**", "") for ln in lines if ln]
    lines = [ln for ln in lines if not _not_report_line().match(ln)]
    return "\n\n".join(lines)
