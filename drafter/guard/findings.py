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
"""Every kind of finding :func:`drafter.check_draft` can report (the genre check's kinds:
:data:`drafter.guard.genre.GENRE_KINDS`)."""


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
        binding: for the number guard's findings, which words of the draft the
            number was bound to and why, e.g. "bound to 脱贫人口 by 脱贫 (a
            paired count: it shares the subject of 120户: 全村共有脱贫户)";
            ``""`` when it does not apply.
    """

    kind: str
    text: str
    start: int
    end: int
    figure: str | None = None
    explanation: str = ""
    binding: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: kind, text, start, end, figure, explanation, binding."""
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
        findings: every finding of the number and name guards, in draft order
            (``missing`` ones last).
        figures: per figure, whether it was found.
        notes: style notes (never make ``ok`` false).
        genre: findings of the genre check (:func:`drafter.guard.genre.check_genre`):
            what an official strikes out (tense, broken clauses, mixed script …).
    """

    findings: list[Finding] = field(default_factory=list)
    figures: list[FigureStatus] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    genre: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the number and name guards found nothing (the genre check aside)."""
        return not self.findings

    @property
    def genre_ok(self) -> bool:
        """True when the genre check found nothing to strike out (a ``length`` finding is advice, not a fault)."""
        return not [f for f in self.genre if f.kind != "length"]

    @property
    def signable(self) -> bool:
        """True when both checks are clean: the draft needs no more than light edits."""
        return self.ok and self.genre_ok

    def all_findings(self) -> list[Finding]:
        """Number, name and genre findings together, in draft order (span-less ones last)."""
        return sorted([*self.findings, *self.genre], key=lambda f: (f.start < 0, f.start, f.end))

    def to_dict(self) -> dict[str, Any]:
        """``{"ok", "genre_ok", "findings": [...], "genre": [...], "figures": [{"name", "found"}], "notes": [...]}``."""
        return {
            "ok": self.ok,
            "genre_ok": self.genre_ok,
            "findings": [f.to_dict() for f in self.findings],
            "genre": [f.to_dict() for f in self.genre],
            "figures": [{"name": s.name, "found": s.found} for s in self.figures],
            "notes": [asdict(n) for n in self.notes],
        }
