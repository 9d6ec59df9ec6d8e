"""Drafter: drafts Chinese government work reports from this period's figures.

Public API (imports are lazy so that ``import drafter`` stays cheap)::

    from drafter import Drafter, load_figures, extract_quantities, check_draft
    from drafter import Settings, LLMClient, FakeLLM, Hit, Draft, SectionDraft

Where things live: ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Drafter": "drafter.api",
    "Draft": "drafter.drafting.engine",
    "SectionDraft": "drafter.drafting.engine",
    "Settings": "drafter.config",
    "load_settings": "drafter.config",
    "load_figures": "drafter.figures",
    "Figure": "drafter.figures",
    "FigureSet": "drafter.figures",
    "LLMClient": "drafter.llm.client",
    "FakeLLM": "drafter.testing",
    "Embedder": "drafter.index.embeddings",
    "Hit": "drafter.index.retrieval",
    "extract_quantities": "drafter.guard.quantities",
    "Quantity": "drafter.guard.quantities",
    "check_draft": "drafter.guard.check",
    "CheckResult": "drafter.guard.findings",
    "Finding": "drafter.guard.findings",
    "DrafterError": "drafter.errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
