"""Section kinds of a 公文 work report and the lexicon that recognises them.

The kinds are ``opening`` (開頭), ``work`` (工作開展情況/主要成效), ``problems``
(存在問題), ``next_steps`` (下步工作打算), ``closing`` and ``other``. The
lexicon lives in ``drafter/data/section_kinds.yaml`` (data, extendable); headings
are matched on their simplified form, so either script works.
"""

from __future__ import annotations

import functools

import yaml

from drafter.errors import InputError
from drafter.text.script import to_simplified
from drafter.data import read_text

KINDS = ("opening", "work", "problems", "next_steps", "closing", "other")
"""Section kinds, in report order."""


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[str, dict]:
    """The section-kind lexicon: ``{kind: {"label", "aliases", "keywords"}}``."""
    text = read_text("section_kinds.yaml")
    return yaml.safe_load(text)


def label(kind: str) -> str:
    """Chinese label (simplified) of a kind, e.g. ``work`` → 工作开展情况."""
    return lexicon()[kind]["label"]


def parse_kind(name: str, field: str = "section") -> str:
    """Map a user-given kind (English key or Chinese alias, either script) to a kind.

    Raises:
        InputError: unknown kind, naming ``field`` and the accepted values.
    """
    key = to_simplified(str(name).strip())
    for kind, entry in lexicon().items():
        if key == kind or key in [to_simplified(a) for a in entry.get("aliases", [])]:
            return kind
    accepted = ", ".join(f"{k} ({lexicon()[k]['label']})" for k in KINDS)
    raise InputError(f"{field}: unknown section kind '{name}'. Use one of: {accepted}.")


def kind_of_heading(heading: str, default: str = "other") -> str:
    """Guess the kind of a section from its heading text via the lexicon.

    Returns ``default`` when no keyword matches.
    """
    text = to_simplified(heading)
    for kind in ("problems", "next_steps", "opening", "closing", "work"):
        for kw in lexicon()[kind].get("keywords", []):
            if kw in text:
                return kind
    return default
