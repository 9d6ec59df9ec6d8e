"""The columns of an eval run: :class:`Variant` (prompt variant × number strategy × model), the
variants a run asks for, and which prompts each variant uses for each case (checked before any call)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from drafter.config import Settings
from drafter.drafting.engine import STRATEGIES
from drafter.errors import ConfigError, InputError, PromptError
from drafter.evaluation.clients import client_identity
from drafter.evaluation.suite import Case
from drafter.llm.client import LLMClient


@dataclass(frozen=True)
class Variant:
    """One column of the matrix.

    Attributes:
        prompt_variant: prompt suffix (``work-{name}``) or None for the default prompts.
        strategy: number strategy (:data:`drafter.drafting.engine.STRATEGIES`).
        model: model name (the embedded model's name, or the name on ``base_url``).
    """

    prompt_variant: str | None
    strategy: str
    model: str

    @property
    def id(self) -> str:
        """``prompt/strategy/model``, e.g. ``default/compose/qwen2.5-coder-1.5b``."""
        return f"{self.prompt_variant or 'default'}/{self.strategy}/{self.model}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: id, prompt_variant, strategy, model."""
        return {"id": self.id, "prompt_variant": self.prompt_variant, "strategy": self.strategy, "model": self.model}


def resolve_variants(settings: Settings, prompt_variants: Sequence[str | None] = (), strategies: Sequence[str] = (),
                     models: Sequence[str] = (), llm: LLMClient | None = None) -> list[Variant]:
    """The variants of a run: every combination of the given prompt variants, strategies and models.

    Empty lists mean the settings' default (``settings.prompt_variant``, ``settings.strategy``,
    ``settings.model`` or ``settings.local_model``; an injected client's model).

    Raises:
        InputError: an unknown strategy. ConfigError: an unknown embedded model.
    """
    pvs = [None if (p in (None, "", "default")) else p for p in (prompt_variants or [settings.prompt_variant])]
    strats = list(strategies or [settings.strategy])
    for s in strats:
        if s not in STRATEGIES:
            raise InputError(f"Unknown number strategy '{s}'; use one of {', '.join(STRATEGIES)}.")
    if models:
        names = list(models)
    elif llm is not None:
        names = [llm.model or "model"]
    else:
        if settings.base_url and not settings.model:
            raise ConfigError(f"No model name for {settings.base_url}; give --model NAME or set DRAFTER_MODEL.")
        names = [settings.model if settings.base_url else settings.local_model]
    if llm is None:
        for name in names:
            client_identity(settings, name)  # unknown local model: ConfigError now, not after the first case
    seen: dict[str, Variant] = {}
    for m in names:
        for p in dict.fromkeys(pvs):
            for s in dict.fromkeys(strats):
                v = Variant(p, s, m)
                seen.setdefault(v.id, v)
    return list(seen.values())


def prompt_plan(settings: Settings, cases: Sequence[Case], variants: Sequence[Variant]) -> tuple[dict, dict, list[str]]:
    """Check every (variant, section kind) has a prompt before any call.

    A case whose sections lack the variant's prompts is drafted with the default
    prompts (a warning says so); a variant with no prompt for any case is an error.

    Args:
        settings: the run's settings (``prompts_dir``, ``base_url``). cases, variants: the matrix.

    Returns:
        (effective prompt variant per (case id, variant id), prompts used {name: sha256}, warnings).

    Raises:
        PromptError: a broken prompt file, or a variant no selected case has a prompt for.
    """
    from drafter.drafting.engine import Engine
    from drafter.drafting.prompts import PromptLibrary

    library = PromptLibrary(settings.prompts_dir)
    local = settings.base_url is None
    effective: dict[tuple[str, str], str | None] = {}
    used: dict[str, str] = {}
    lacking: dict[str, set[str]] = {}
    for v in variants:
        for case in cases:
            pv = v.prompt_variant
            for attempt in ([pv, None] if pv else [None]):
                engine = Engine(None, library, strategy=v.strategy, variant=attempt, grammar_ok=local)
                try:
                    prompts = [engine._prompt(kind) for kind in case.kinds]
                except PromptError:
                    if attempt is None:
                        raise
                    lacking.setdefault(v.id, set()).update(case.kinds)
                    continue
                effective[(case.id, v.id)] = attempt
                used.update({p.name: p.sha256 for p in prompts})
                break
    for v in variants:
        if v.prompt_variant and all(effective.get((c.id, v.id)) is None for c in cases):
            raise PromptError(f"No prompt variant '{v.prompt_variant}' for any section of the selected cases "
                              f"(looked for prompts named KIND-{v.prompt_variant} and KIND-prose-{v.prompt_variant}"
                              f"{' in ' + str(settings.prompts_dir) if settings.prompts_dir else ''}).")
    warnings = [f"Variant {vid} has no prompt for {', '.join(sorted(kinds))}; cases with those sections use the default prompts."
                for vid, kinds in lacking.items()]
    return effective, used, warnings
