"""Drafter: drafts Chinese government work reports from this period's figures.

Public API (imports are lazy so that ``import drafter`` stays cheap)::

    from drafter import Drafter, load_figures, extract_quantities, check_draft
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Drafter": "drafter.api",
    "Draft": "drafter.drafting",
    "load_figures": "drafter.figures",
    "Figure": "drafter.figures",
    "FigureSet": "drafter.figures",
    "extract_quantities": "drafter.quantities",
    "Quantity": "drafter.quantities",
    "check_draft": "drafter.check",
    "CheckResult": "drafter.findings",
    "Finding": "drafter.findings",
    "DrafterError": "drafter.errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
