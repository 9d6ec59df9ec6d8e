"""The model's replies: their formats and how Drafter asks again for one it cannot use.

The formats live beside the prompts that describe them, in ``drafter/data/prompts/replies.yaml``:
the JSON Schema of each ``compose`` prompt's reply (:func:`reply_schema`), the GBNF grammar of the
``grammar`` strategy (:func:`grammar`) and the follow-up messages (:func:`follow_up`).
:func:`ask_text` and :func:`ask_json` are the two ways a strategy asks for a reply: prose, asked
again once with twice the budget when cut off; or a JSON object, asked for twice at most.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drafter.data import load_yaml

if TYPE_CHECKING:
    from drafter.drafting.engine import Engine, SectionDraft


@functools.lru_cache(maxsize=1)
def _replies() -> dict[str, Any]:
    return load_yaml("prompts/replies.yaml")


def reply_schema(kind: str, n: int = 0, keys: Sequence[str] = ()) -> dict:
    """The JSON Schema of a ``compose`` reply for a section of ``kind`` (a fresh dict).

    Args:
        kind: section kind. ``work``: ``{"intro", <one key per subsection heading>}``;
            ``problems``/``next_steps``: ``{"items": [n × {"heading", "text"}]}``;
            ``opening``/``closing``: ``{"text"}``; any other kind takes the opening's.
        n: the number of items (problems, next_steps). keys: the subsection headings (work).
    """
    schemas = _replies()["schemas"]
    if kind == "work":
        schema = copy.deepcopy(schemas["work"])
        schema["properties"].update({k: dict(schemas["work_subsection"]) for k in keys})
        schema["required"] = [*schema["required"], *keys]
        return schema
    if kind in ("problems", "next_steps"):
        schema = copy.deepcopy(schemas["items"])
        schema["properties"]["items"].update(minItems=n, maxItems=n)
        return schema
    return copy.deepcopy(schemas.get(kind, schemas["opening"]))


def grammar(name: str) -> str:
    """A GBNF grammar of ``replies.yaml`` (``no_digits``: text without digits except 【n】 markers)."""
    return _replies()["grammars"][name]


def follow_up(name: str, **values: str) -> str:
    """A follow-up message of ``replies.yaml`` (``repair``: ``problems=``; ``clauses``: ``clauses=``), filled in."""
    return _replies()["follow_ups"][name].format(**values)


def ask_text(engine: Engine, sec: SectionDraft, msgs: list[dict], max_tokens: int, grammar: str | None = None) -> str:
    """A prose reply; one cut off at ``max_tokens`` is asked for again once with twice the
    budget, and a warning is kept on ``sec`` when it is cut off again (the guard still checks it)."""
    text, cut = engine._complete(sec, msgs, max_tokens, grammar=grammar)
    if cut:
        text, cut = engine._complete(sec, msgs, max_tokens * 2, grammar=grammar)
        if cut:
            sec.warnings.append(f"The model's reply was cut off at {max_tokens * 2} tokens twice; the text may end early "
                                f"(raise budget.output in the prompt '{sec.prompt}').")
    return text


def ask_json(engine: Engine, sec: SectionDraft, msgs: list[dict], max_tokens: int, schema: dict) -> dict:
    """The model's JSON object, asked for twice at most; a reply cut off at the budget is asked
    for again with twice the budget. Two failures leave the model's text out, with a warning on ``sec``."""
    from drafter.drafting.compose import parse_json_reply

    budget, cut = max_tokens, False
    for _attempt in range(2):
        text, cut = engine._complete(sec, msgs, budget, schema)
        data = parse_json_reply(text)
        if data is not None:
            return data
        if cut:
            budget = max_tokens * 2
    sec.dropped.append("(the model's reply was not valid JSON twice; its text was left out)")
    why = f"cut off at {budget} tokens" if cut else "not valid JSON"
    sec.warnings.append(f"The model's reply was {why} twice; only Drafter's own sentences are in this section "
                        f"(prompt '{sec.prompt}').")
    return {}
