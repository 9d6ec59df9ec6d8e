"""Number strategies as objects behind one interface (:class:`~drafter.drafting.strategies.base.Strategy`).

The registry :data:`REGISTRY` maps each name to its strategy; :data:`STRATEGIES` maps each
name to its one-line description (``drafter write --help``, the eval harness, the settings);
:func:`get_strategy` looks one up. Each strategy's :meth:`~Strategy.plan` says, for every section
kind, how it is written (:func:`plan_table` prints them all).
"""

from __future__ import annotations

from drafter.drafting.strategies.base import KindPlan, Passages, Section, Strategy
from drafter.drafting.strategies.compose import ComposeStrategy
from drafter.drafting.strategies.prose import ProseStrategy
from drafter.drafting.strategies.weave import WeaveStrategy
from drafter.errors import InputError

_COMPOSE = ComposeStrategy()

REGISTRY: dict[str, Strategy] = {s.name: s for s in (
    _COMPOSE,
    ProseStrategy("free", "Passages with numbers + figures; prompting only.", Passages.KEPT, _COMPOSE),
    ProseStrategy("masked", "Passages with numbers masked + figures.", Passages.MASKED, _COMPOSE),
    ProseStrategy("slots", "Masked passages; figures as markers 【n】 filled by Drafter after generation.",
                  Passages.MASKED, _COMPOSE, slots=True),
    ProseStrategy("grammar", "As slots, with a llama.cpp grammar forbidding digits outside markers (embedded server only).",
                  Passages.MASKED, _COMPOSE, slots=True, grammar=True),
    ProseStrategy("masked-names", "As masked, with other places' names in the passages masked too (某村, 某镇 …).",
                  Passages.MASKED_NAMES, _COMPOSE),
    WeaveStrategy(),
)}
"""Named number strategies, in the order listed."""

STRATEGIES: dict[str, str] = {name: s.description for name, s in REGISTRY.items()}
"""Named number strategies: name → one-line description."""


def get_strategy(name: str) -> Strategy:
    """The strategy called ``name``.

    Raises:
        InputError: unknown name (listing the known ones).
    """
    if name not in REGISTRY:
        raise InputError(f"Unknown number strategy '{name}'; use one of {', '.join(REGISTRY)}.")
    return REGISTRY[name]


def plan_table() -> dict[str, dict[str, str]]:
    """Every strategy's plan for every section kind: ``{strategy: {kind: "prose (passages: …)"}}``."""
    return {name: {kind: p.describe() for kind, p in s.plans().items()} for name, s in REGISTRY.items()}


__all__ = ["REGISTRY", "STRATEGIES", "KindPlan", "Passages", "Section", "Strategy", "get_strategy", "plan_table"]
