"""The genre check's rules: the word lists and thresholds of ``drafter/data/genre.yaml``, compiled once.

Read by :mod:`drafter.guard.genre` (the checks of the text) and
:mod:`drafter.guard.genre_figures` (the checks of how figures are written).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from drafter.data import load_yaml
from drafter.guard.findings import Finding
from drafter.text.textutil import HAN_CLASS

__all__ = ["Rules", "finding", "rules"]


@dataclass(frozen=True)
class Rules:
    """The compiled word lists of ``drafter/data/genre.yaml``."""

    future: tuple[re.Pattern, ...]
    past: tuple[re.Pattern, ...]
    broken: tuple[tuple[re.Pattern, str, tuple[str, ...]], ...]
    chat: tuple[str, ...]
    prompt: tuple[str, ...]
    model_only: tuple[str, ...]
    problem_only_not: tuple[str, ...]
    deliverable: re.Pattern
    name_suffixes: tuple[str, ...]
    level_endings: tuple[str, ...]
    max_items: int
    min_item_han: int
    repeat_han: int
    repeat_han_part: int
    length_tolerance: float
    both_scripts: frozenset[str]


@functools.lru_cache(maxsize=1)
def rules() -> Rules:
    """The genre check's rules, read once from ``drafter/data/genre.yaml``."""
    data = load_yaml("genre.yaml")
    verbs = "|".join(map(re.escape, data["deliverable_verbs"]))
    nouns = "|".join(map(re.escape, sorted(data["deliverable_nouns"], key=len, reverse=True)))
    return Rules(
        future=tuple(re.compile(p) for p in data["future"]),
        past=tuple(re.compile(p) for p in data["past"]),
        broken=tuple((re.compile(b["pattern"]), b["why"], tuple(b.get("unless_before", ()))) for b in data["broken"]),
        chat=tuple(data["artefacts"]["chat"]),
        prompt=tuple(data["artefacts"]["prompt"]),
        model_only=tuple(data.get("model_only", [])),
        problem_only_not=tuple(data.get("problem_only_not", [])),
        deliverable=re.compile(rf"(?:{verbs})([^，。；！？、]{{1,16}}?(?:{nouns}))(?![{HAN_CLASS}])"),
        name_suffixes=tuple(sorted(data["name_suffixes"], key=len, reverse=True)),
        level_endings=tuple(data["level_name_endings"]),
        max_items=int(data["max_items"]),
        min_item_han=int(data["min_item_han"]),
        repeat_han=int(data["repeat_han"]),
        repeat_han_part=int(data["repeat_han_part"]),
        length_tolerance=float(data["length_tolerance"]),
        both_scripts=frozenset(data["both_scripts"]),
    )


def finding(kind: str, text: str, start: int, end: int, why: str, figure: str | None = None) -> Finding:
    """A genre :class:`~drafter.guard.findings.Finding` of kind ``kind`` over ``text[start:end]``
    (no text when ``start`` < 0: a finding about the whole draft, such as ``length``)."""
    return Finding(kind, text[start:end] if start >= 0 else "", start, end, figure, why)
