"""Re-checking an edited section, and re-rendering a changed figure without the model.

Every check the page shows goes through :func:`recheck`, so that a new check
(the genre check: tense, broken clauses, mixed script …) is added in one place
and its findings are highlighted like the number guard's. It is a pure
function of the text and the user's input, fast enough to run on every edit
(``benchmarks/bench_serve.py``: goal < 300 ms for a whole report).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drafter.figures import Figure, FigureSet
from drafter.guard.findings import CheckResult

FIGURE_FAULTS = ("altered", "misplaced", "unit_mismatch")
"""Finding kinds that concern a figure written wrongly (as opposed to ``missing``)."""


def recheck(text: str, figset: FigureSet, kind: str, context: Sequence[str] = ()) -> CheckResult:
    """Check one section's text as the drafting engine checks it.

    Args:
        text: the section body (either script), as the user sees it.
        figset: the user's input for this section: the figures it must carry,
            with the report's title, organisation, period, facts and names
            (the names a draft may use).
        kind: the section kind (``opening``, ``work``, ``problems``, ``next_steps`` …).
        context: the past passages the section drew on (for ``stale``,
            ``stale_name`` and ``copied``).

    Returns:
        The :class:`~drafter.guard.findings.CheckResult` of
        :func:`drafter.guard.check.check_draft` (findings with kind, start, end,
        explanation; ``missing`` ones at -1; per-figure status), with the genre
        check's findings in ``genre`` (:func:`drafter.guard.genre.check_genre`; deliverables
        are judged when the user gave facts; no length target on the page).
    """
    from drafter.guard.check import allowed_text, check_draft
    from drafter.guard.genre import check_genre

    result = check_draft(text, figset, context=list(context))
    user = allowed_text(figset) if figset.facts else None
    result.genre = check_genre(text, kind, figures=figset.figures, user_text=user)
    return result


@dataclass(frozen=True)
class FigureState:
    """How one figure stands in a checked section.

    Attributes:
        name: the figure's name; rendered: value and unit as written (``4.5公里``).
        status: ``placed`` (found with its value and unit in a clause naming it),
            a fault kind of :data:`FIGURE_FAULTS` (written wrongly), or ``missing``.
        start, end: where it was found (-1 when not placed).
        explanation: the finding's explanation when it is not placed.
    """

    name: str
    rendered: str
    status: str
    start: int = -1
    end: int = -1
    explanation: str = ""


def figure_states(result: CheckResult, figures: Sequence[Figure]) -> list[FigureState]:
    """Per figure of the section: placed, altered/misplaced/unit_mismatch, or missing."""
    by_name = {f.name: f for f in figures}
    out = []
    for st in result.figures:
        fig = by_name.get(st.name)
        rendered = fig.render() if fig else ""
        if st.found:
            out.append(FigureState(st.name, rendered, "placed", st.start, st.end))
            continue
        fault = next((f for f in result.findings if f.figure == st.name and f.kind in FIGURE_FAULTS), None)
        missing = next((f for f in result.findings if f.figure == st.name and f.kind == "missing"), None)
        if fault is not None:
            out.append(FigureState(st.name, rendered, fault.kind, explanation=fault.explanation))
        else:
            out.append(FigureState(st.name, rendered, "missing", explanation=missing.explanation if missing else ""))
    return out


def replace_figure(text: str, result: CheckResult, old: Figure, new: Figure) -> tuple[str, bool]:
    """Write a changed figure into a section without a model call.

    The figure's value and unit stand where the check found them
    (:class:`~drafter.guard.findings.FigureStatus` ``start``/``end``); that span is
    replaced by the new value and unit. The words around it are the
    model's or Drafter's and do not depend on the value.

    Args:
        text: the section body that ``result`` was computed on.
        result: its check result.
        old: the figure as it was; new: the figure with its new value/unit.

    Returns:
        ``(text, replaced)``: ``replaced`` is False when the figure was not
        placed in this section (missing or written wrongly); the text is then
        unchanged and the user has to write it in.
    """
    for st in result.figures:
        if st.name == old.name and st.found and 0 <= st.start < st.end <= len(text):
            return text[: st.start] + new.render() + text[st.end :], True
    return text, False
