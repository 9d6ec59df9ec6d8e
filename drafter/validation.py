"""Pydantic validation errors as user messages: the one translator every loader uses.

Drafter reads its settings, prompt front matter, eval suites and labelled
query files into strict pydantic models (``extra="forbid"``). When one does
not validate, :func:`explain_validation` turns the
:class:`pydantic.ValidationError` into sentences in the user's terms: the
file (and entry), the field path as written in the file, the line when the
YAML text is at hand, what is wrong and, for a mistyped key, the keys that
are known there::

    c.yaml: unknown setting 'modle' (line 1). Known: base_url, model, …
    suite.yaml: case 'a': field 'expect.length': List should have at most 2 items (line 3).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[int | str, ...]
"""Where an error is, as pydantic gives it: keys and list indices from the top."""


def explain_validation(
    exc: ValidationError,
    where: str,
    *,
    model: type[BaseModel] | None = None,
    noun: str = "field",
    data: Any = None,
    items: Mapping[str, str] | None = None,
    text: str | None = None,
    first_line: int = 1,
    most: int = 1,
) -> str:
    """Word a validation error for the user.

    One sentence per error, for the first ``most`` errors:
    ``{where}: {entry}: {noun} '{field}': {problem} (line N).`` for a bad value
    and ``{where}: {entry}: unknown {noun} '{field}' (line N). Known: a, b, c.``
    for a key the model does not have (pydantic ``extra_forbidden``).

    Args:
        exc: the error pydantic raised.
        where: the file, and the entry within it if the caller knows it
            (``queries.yaml: query q1``), or ``""`` when there is nothing to name
            (a value given as a flag).
        model: the model that was validated; with it an unknown key's message
            lists the keys known at that place (nested models included).
        noun: what a key is called in this file (``setting``, ``front-matter key``).
        data: the data that was validated, to name list entries (see ``items``).
        items: top-level lists whose entries are named, list key → entry noun
            (``{"cases": "case"}``: ``case 'a'`` by the entry's ``id``, else ``case #3``).
        text: the YAML text the data was read from, to give the line of each error.
        first_line: the line number of the first line of ``text`` in its file
            (2 for front matter after a ``---`` line).
        most: how many errors to word; the count of the others is added.

    Returns:
        The message, ending with a full stop.

    Source: pydantic's error list (``ValidationError.errors()``: ``loc``, ``type``, ``msg``).
    """
    errors = exc.errors()
    root = _yaml_root(text) if text else None
    sentences = []
    for err in errors[:most]:
        loc: Loc = tuple(err["loc"])
        place, field_loc = _place(where, loc, data, items or {})
        field = ".".join(str(p) for p in field_loc)
        line = _line(root, loc, first_line) if root is not None else None
        at = f" (line {line})" if line else ""
        head = f"{place}: " if place else ""
        if err["type"] == "extra_forbidden":
            known = _known(model, loc)
            tail = f" Known: {', '.join(known)}." if known else ""
            sentences.append(f"{head}unknown {noun} '{field}'{at}.{tail}")
        else:
            problem = _problem(err["msg"])
            sentences.append(f"{head}{noun} '{field}': {problem}{at}." if field else f"{head}{problem}{at}.")
    if len(errors) > most:
        sentences.append(f"({len(errors) - most} more.)")
    return " ".join(sentences)


def _problem(msg: str) -> str:
    """pydantic's message without its ``Value error, `` prefix and final full stop."""
    return msg.removeprefix("Value error, ").rstrip(".")


def _place(where: str, loc: Loc, data: Any, items: Mapping[str, str]) -> tuple[str, Loc]:
    """``(where plus the named entry, the rest of loc)``."""
    if len(loc) >= 2 and isinstance(loc[0], str) and loc[0] in items and isinstance(loc[1], int):
        entries = data.get(loc[0]) if isinstance(data, Mapping) else None
        entry = entries[loc[1]] if isinstance(entries, Sequence) and loc[1] < len(entries) else None
        ident = entry.get("id") if isinstance(entry, Mapping) else None
        name = f"{items[loc[0]]} '{ident}'" if ident else f"{items[loc[0]]} #{loc[1] + 1}"
        return (f"{where}: {name}" if where else name), loc[2:]
    return where, loc


def _known(model: type[BaseModel] | None, loc: Loc) -> list[str]:
    """The field names of the model standing at ``loc[:-1]`` below ``model`` ([] when unknown)."""
    current = model
    for part in loc[:-1]:
        if current is None:
            return []
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        current = _model_in(info.annotation) if info is not None else None
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (``Budget``, ``list[CaseSpec]``, ``Expect | None``), else None."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _yaml_root(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _line(node: yaml.Node | None, loc: Loc, first_line: int) -> int | None:
    """The line of the deepest YAML node along ``loc`` (a key's own line for a mapping key)."""
    if node is None:
        return None
    found = node
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if pair is None:
                break
            found, node = pair[0], pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            found = node = node.value[part]
        else:
            break
    return found.start_mark.line + first_line
