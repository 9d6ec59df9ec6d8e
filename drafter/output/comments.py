"""Writing a checked draft back to Word: every finding as a comment on the text it is about.

:func:`annotate_docx` takes a draft read by :func:`drafter.output.review.read_draft`
(its map from offsets back to paragraphs and runs) and the checker's findings,
splits runs so that a comment covers exactly the offending characters, and
highlights them, so that a reviewer sees the findings in Word or WPS.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drafter.errors import InputError
from drafter.guard.findings import Finding

if TYPE_CHECKING:
    from drafter.output.review import DraftText

__all__ = ["COMMENT_AUTHOR", "KIND_LABELS", "annotate_docx", "comment_text"]

KIND_LABELS = {
    "missing": "缺少数字",
    "altered": "数字与给定不符",
    "invented": "无出处的数字",
    "stale": "沿用旧报告的数字",
    "unit_mismatch": "计量单位不符",
    "misplaced": "数字不在其名称处",
    "placeholder": "占位符未填",
    "stale_name": "他处的名称",
    "copied": "照抄旧报告",
}
"""Chinese labels of finding kinds for comments; a kind not listed is shown as it is."""

COMMENT_AUTHOR = "Drafter"
"""The author Word shows for the comments."""
_PLAIN_RUN_CHILDREN = {"rPr", "t", "tab", "br", "cr", "noBreakHyphen", "softHyphen", "lastRenderedPageBreak"}


def _runs(paragraph: Any) -> list[Any]:
    """The runs of a paragraph in order, those inside hyperlinks included."""
    from docx.text.hyperlink import Hyperlink
    from docx.text.run import Run

    out = []
    for item in paragraph.iter_inner_content():
        if isinstance(item, Run):
            out.append(item)
        elif isinstance(item, Hyperlink):
            out.extend(item.runs)
    return out


def _plain(run: Any) -> bool:
    return all(child.tag.rsplit("}", 1)[-1] in _PLAIN_RUN_CHILDREN for child in run._r)


def _split(run: Any, k: int) -> Any:
    """Split a plain run at character ``k``; returns the second half (a new run right after it)."""
    from docx.text.run import Run

    text = run.text
    new = copy.deepcopy(run._r)
    run._r.addnext(new)
    run.text = text[:k]
    second = Run(new, run._parent)
    second.text = text[k:]
    return second


def _isolate(paragraph: Any, start: int, end: int) -> list[Any]:
    """Runs of ``paragraph`` covering exactly characters ``[start, end)`` of its text (splitting runs).

    A run that cannot be split safely (a field, a drawing) is taken whole; when
    the runs do not add up to the paragraph's text, all its runs are returned.
    """
    runs = _runs(paragraph)
    if sum(len(r.text) for r in runs) != len(paragraph.text) or not runs:
        return runs
    for cut in (start, end):
        pos = 0
        for r in runs:
            n = len(r.text)
            if pos < cut < pos + n and _plain(r):
                _split(r, cut - pos)
                break
            pos += n
        runs = _runs(paragraph)
    out, pos = [], 0
    for r in runs:
        n = len(r.text)
        if n and pos < end and pos + n > start:
            out.append(r)
        pos += n
    return out


def comment_text(finding: Finding) -> str:
    """The comment a finding becomes: ``〔待核：altered 数字与给定不符〕 explanation``."""
    label = KIND_LABELS.get(finding.kind, "")
    head = f"〔待核：{finding.kind}" + (f" {label}" if label else "") + "〕"
    return f"{head} {finding.explanation or finding.text}".strip()


def annotate_docx(draft: DraftText, findings: Sequence[Finding], highlight: bool = True) -> bytes:
    """The draft's document with every finding as a Word comment on its text.

    Args:
        draft: a draft read from a ``.docx`` (:func:`read_draft`), or from text
            (a plain document is made of its lines first: see :func:`text_document`).
        findings: the checker's findings on ``draft.text``.
        highlight: also highlight the commented text in yellow.

    Returns:
        The ``.docx`` file as bytes (the input file is not touched).
    """
    from docx.enum.text import WD_COLOR_INDEX

    if draft.document is None:
        raise InputError(f"{draft.path}: only a .docx draft can be written back with comments; read it with text_document().")
    doc = draft.document
    first_runs: list[Any] = []
    for b in draft._blocks:
        first_runs = [r for p in b.pieces for r in _runs(p.paragraph) if r.text]
        if first_runs:
            break
    if not first_runs:
        first_runs = [doc.add_paragraph().add_run("〔核对意见〕")]
    for f in findings:
        runs: list[Any] = []
        if f.start >= 0:
            for b in draft._blocks:
                if b.end <= f.start or b.start >= max(f.end, f.start + 1):
                    continue
                for piece in b.pieces:
                    a, z = max(f.start, piece.start) - piece.start, min(f.end, piece.start + len(piece.text)) - piece.start
                    if z > a:
                        runs.extend(_isolate(piece.paragraph, a, z))
        runs = runs or first_runs
        doc.add_comment(runs, text=comment_text(f), author=COMMENT_AUTHOR, initials="DR")
        if highlight and f.start >= 0:
            for r in runs:
                r.font.highlight_color = WD_COLOR_INDEX.YELLOW
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
