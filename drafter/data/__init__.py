"""Drafter's data, shipped in the package: lexicons and word lists (``*.yaml``, ``*.txt``), the
built-in section prompts (``prompts/``) and the eval report template.

One loader for all of them: :func:`read_text` (cached) and :func:`load_yaml`. Each module that
turns a file into rules keeps its own cache of the rules it builds.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any


@functools.lru_cache(maxsize=None)
def read_text(name: str) -> str:
    """The text of the data file ``name`` (``"units.yaml"``), read once through :mod:`importlib.resources`."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def load_yaml(name: str) -> Any:
    """The data file ``name`` parsed as YAML (a fresh object on every call; the text is read once)."""
    import yaml

    return yaml.safe_load(read_text(name))
