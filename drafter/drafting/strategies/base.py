"""The interface every number strategy has, and what they share.

A strategy (:class:`Strategy`) says, for every section kind, how that kind is written
(:meth:`Strategy.plan` → a :class:`KindPlan`: the method, the prompt family, what the model is
shown of the passages); the strategy that writes it (``KindPlan.writer``) chooses the prompt
(:meth:`Strategy.prompt`), treats the passages (:meth:`Strategy.passage_text`), names its reply
format (:meth:`Strategy.reply_format`), generates the body (:meth:`Strategy.generate`) and repairs
it after the number guard (:meth:`Strategy.repair`). :class:`Section` is the one section being
drafted, as the engine hands it to the writer.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from drafter.corpus.kinds import KINDS, label
from drafter.errors import PromptError
from drafter.figures import FigureSet
from drafter.text.script import to_simplified

if TYPE_CHECKING:
    from drafter.drafting.engine import Engine, SectionDraft
    from drafter.drafting.prompts import Prompt, PromptLibrary


class Passages(str, enum.Enum):
    """What the model is shown of a retrieved passage."""

    KEPT = "numbers kept"
    MASKED = "numbers masked (××)"
    MASKED_NAMES = "numbers and other places' names masked (××, 某村)"
    VOICE = "voice excerpt: only its sentences without numbers or other places' names"


@dataclass(frozen=True)
class KindPlan:
    """How one strategy writes one section kind.

    Attributes:
        method: ``compose``, ``prose`` or ``weave`` — the writer's method, recorded on the
            section (``SectionDraft.method``).
        writer: the strategy whose :meth:`Strategy.generate` writes the section (the strategy
            itself, or ``compose`` for a kind that has no prompt of the strategy's family).
        note: one line saying why, for ``drafter write --help`` and the docs.
    """

    method: str
    writer: Strategy
    note: str = ""

    @property
    def passages(self) -> Passages:
        """What the model is shown of the passages (the writer's treatment)."""
        return self.writer.passages

    def describe(self) -> str:
        """``prose (passages: numbers kept)`` — the plan in one line."""
        return f"{self.method} (passages: {self.passages.value})" + (f"; {self.note}" if self.note else "")


@dataclass
class Section:
    """One section being drafted, as the engine hands it to its writer.

    Attributes:
        kind: section kind. sec: the :class:`~drafter.drafting.engine.SectionDraft` being filled
            (figures, facts; replies, drops, warnings, sources are recorded on it).
        prompt: the prompt the writer chose. figset: the user's header fields.
        user: the whole user input with this section's figures (what the check is given).
        allowed: the user's words (:func:`drafter.guard.check.allowed_text`).
        reject: model sentences to drop (another place's name, a copied run), or None.
        state: what a writer keeps between generating and repairing (messages, the last reply).
    """

    kind: str
    sec: SectionDraft
    prompt: Prompt
    figset: FigureSet
    user: FigureSet
    allowed: str
    reject: Callable[[str], bool] | None = None
    state: dict[str, Any] = field(default_factory=dict)


class Strategy(ABC):
    """A number strategy: how the model is kept from writing numbers nobody gave.

    Subclasses set :attr:`name`, :attr:`description`, :attr:`method`, :attr:`passages` and
    :attr:`family` and implement :meth:`generate`; :meth:`plan` is the explicit per-kind table
    (every kind of :data:`drafter.corpus.kinds.KINDS`).
    """

    name: str = ""
    description: str = ""
    method: str = ""
    """The method this strategy's own :meth:`generate` implements (compose, prose, weave)."""
    passages: Passages = Passages.VOICE
    family: str | None = None
    """The prompt family (``prose``: ``work-prose``; ``weave``: ``weave-work``), None for the plain prompts."""
    retrieves_per_section: bool = True
    """The engine retrieves the section's passages once (False: the writer retrieves per paragraph)."""
    needs_grammar: bool = False
    """The strategy needs a backend that honours GBNF grammars (the engine refuses it otherwise)."""

    def plan(self, kind: str) -> KindPlan:
        """How ``kind`` is written: by default, by this strategy itself.

        Raises:
            KeyError: ``kind`` is not a section kind.
        """
        if kind not in KINDS:
            raise KeyError(kind)
        return KindPlan(self.method, self)

    def plans(self) -> dict[str, KindPlan]:
        """The plan for every section kind, in report order."""
        return {kind: self.plan(kind) for kind in KINDS}

    def prompt(self, prompts: PromptLibrary, kind: str, variant: str | None = None) -> Prompt:
        """The prompt of this strategy's family for ``kind``.

        Raises:
            PromptError: no such prompt, or one whose front matter ``strategy`` names another method
                (a variant only the ``compose`` prompts have, asked for under ``weave``).
        """
        p = prompts.for_section(kind, variant, family=self.family)
        declared = p.meta.strategy
        if declared is not None and declared != self.method:
            for_variant = f" (variant '{variant}')" if variant else ""
            raise PromptError(f"{p.path}: prompt '{p.name}' is written for the '{declared}' method, but the "
                              f"'{self.name}' strategy writes {label(kind)} by '{self.method}'{for_variant}; add a "
                              f"{self.family or self.method} prompt for it or choose another strategy.")
        return p

    def passage_text(self, text: str, allowed: str, excerpt_chars: int) -> str:
        """What the model sees of one passage (instructions to a model already left out).

        Args:
            text: the passage. allowed: the user's words. excerpt_chars: characters of a voice excerpt.
        """
        from drafter.drafting.compose import voice_excerpt

        return voice_excerpt(text, excerpt_chars, allowed)

    def reply_format(self, kind: str, **shape: Any) -> dict | str | None:
        """The reply's format: a JSON Schema (compose), a GBNF grammar (grammar), or None (free text)."""
        return None

    def values(self, section: Section) -> dict[str, Any]:
        """The prompt variables every section-level prompt takes (organisation, period, facts …)."""
        from drafter.drafting.compose import fact_clause

        fs = section.figset
        return {
            "organisation": to_simplified(fs.organisation or fs.title or "本单位"),
            "period": to_simplified(fs.period or "本期"),
            "title": to_simplified(fs.title or ""),
            "section_label": label(section.kind),
            "facts": [fact_clause(f) for f in section.sec.facts],
            "target_chars": section.prompt.meta.target_chars,
        }

    @abstractmethod
    def generate(self, engine: Engine, section: Section, passages: list[dict]) -> str:
        """Write the section's body (simplified), recording replies and drops on ``section.sec``.

        Args:
            engine: the engine (model calls, prompt fitting, retrieval).
            section: the section. passages: the passages as shown (``{"title", "path", "text"}``),
                best first ([] for a writer that retrieves per paragraph).

        Raises:
            PromptError, ModelError, InputError: as their messages say.
        """

    def repair(self, engine: Engine, section: Section, body: str, passages: list[dict]) -> str:
        """The body after repair rounds; by default none (the method filters model text before
        assembling, so what the guard still finds is marked, not sent back)."""
        return body
