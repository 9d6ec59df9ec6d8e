"""Fixed report text Drafter writes itself, read from ``drafter/data/sentences.yaml``.

The closing sentence of a 导语 (现将有关情况报告如下。), the lead-in of a problems section's
figures (从数据看，), the headings of items that only carry figures, and the lines of a
free-written reply that are no report text. Patterns that recognise text stay in the code that
uses them; the words and sentences Drafter writes are data.
"""

from __future__ import annotations

import functools
from typing import Any

from drafter.data import load_yaml


@functools.lru_cache(maxsize=1)
def _sentences() -> dict[str, Any]:
    return load_yaml("sentences.yaml")


def sentence(group: str, key: str, kind: str | None = None) -> Any:
    """One entry of ``sentences.yaml``: ``sentence("compose", "opening_close")`` → 现将有关情况报告如下。.

    Args:
        group: the top-level key (``compose``, ``prose``). key: the entry.
        kind: for an entry given per section kind (``figures_heading``), the kind.

    Raises:
        KeyError: no such entry (a bug: the file ships with the package).
    """
    value = _sentences()[group][key]
    return value[kind] if kind is not None else value
