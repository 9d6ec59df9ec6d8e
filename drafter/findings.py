"""Result types of the draft checker (shared by the number guard and the name/copy guard)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FINDING_KINDS = (
    "missing",
    "altered",
    "invented",
    "stale",
    "unit_mismatch",
    "misplaced",
    "placeholder",
    "stale_name",
    "copied",
)
"""Every kind of finding :func:`drafter.check_draft` can report."""


@dataclass(frozen=True)
class Finding:
    """One problem in a draft.

    Attributes:
        kind: one of :data:`FINDING_KINDS`.
        text: the offending text in the draft (``""`` for ``missing``).
        start: character offset of ``text`` in the draft (-1 for ``missing``).
        end: end offset (exclusive; -1 for ``missing``).
        figure: name of the figure concerned, when there is one.
        explanation: one sentence for the user, e.g. "4.6公里 is not a given figure; 新建改造农村公路 is 4.5公里".
    """

    kind: str
    text: str
    start: int
    end: int
    figure: str | None = None
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: kind, text, start, end, figure, explanation."""
        return asdict(self)


@dataclass(frozen=True)
class Note:
    """A style note: not a failure (e.g. a count in Chinese numerals, GB/T 15835-2011)."""

    text: str
    start: int
    end: int
    explanation: str


@dataclass(frozen=True)
class FigureStatus:
    """Whether one figure was found in the draft, and where."""

    name: str
    found: bool
    start: int = -1
    end: int = -1


@dataclass
class CheckResult:
    """Outcome of checking one draft.

    Attributes:
        findings: every finding, in draft order (``missing`` ones last).
        figures: per figure, whether it was found.
        notes: style notes (never make ``ok`` false).
    """

    findings: list[Finding] = field(default_factory=list)
    figures: list[FigureStatus] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no finding."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """``{"ok", "findings": [...], "figures": [{"name", "found"}], "notes": [...]}``."""
        return {
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "figures": [{"name": s.name, "found": s.found} for s in self.figures],
            "notes": [asdict(n) for n in self.notes],
        }
