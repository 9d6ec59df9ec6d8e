"""A draft as Drafter hands it back: :class:`Draft` (a report, complete or not) of
:class:`SectionDraft` sections, each with the :class:`Source` passages it drew on, and their
renderings as Markdown, plain text and JSON (:meth:`Draft.markdown`, :attr:`Draft.text`,
:meth:`Draft.to_dict`; Word is :mod:`drafter.output.word`).

The fixed text of a report (headings, fallback title, the note ending an incomplete draft)
is data, ``drafter/data/report_text.yaml``, read by :func:`report_text`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from drafter.data import load_yaml
from drafter.figures import Fact, Figure
from drafter.guard.findings import CheckResult


@functools.lru_cache(maxsize=1)
def report_text() -> dict[str, Any]:
    """The fixed text of a report (``drafter/data/report_text.yaml``), read once; treat it as read-only.

    Returns:
        ``{"headings": {"work": "工作开展情况", "problems": …, "next_steps": …},
        "title_suffix": "工作总结", "title_fallback": "工作情况报告",
        "incomplete_note": "〔草稿未完成：{missing}未能生成，请重新运行。〕"}`` (``{missing}``: the
        sections not written, joined by 、). Used here and by :mod:`drafter.drafting.report`.
    """
    return load_yaml("report_text.yaml")


@dataclass(frozen=True)
class Source:
    """A passage a section drew on.

    Attributes:
        report: the past report's title; section_path: its headings down to the passage
            (``["一、工作开展情况", "（二）…"]``); chunk_id: the store's id of the passage;
        score: its retrieval score.
    """

    report: str
    section_path: list[str]
    chunk_id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the score rounded to 6 places)."""
        return {"report": self.report, "section_path": self.section_path, "chunk_id": self.chunk_id, "score": round(self.score, 6)}


@dataclass
class SectionDraft:
    """One drafted section.

    Attributes:
        kind: section kind; heading: e.g. ``一、工作开展情况`` (``""`` for the opening).
        body: section text (simplified), without the heading.
        figures: the figures this section had to carry; facts: its facts.
        sources: passages shown to the model; check: the number guard's result.
        strategy, prompt, prompt_sha256: how it was made; method: how the strategy wrote this kind
            (``compose``, ``prose`` or ``weave``: its :meth:`~drafter.drafting.strategies.Strategy.plan`).
        messages: the prompt as sent (first round); replies: raw model replies.
        dropped: model sentences removed because they carried numbers.
        warnings: problems with the model's replies the user should know of (a reply
            cut off at its token budget twice, or not valid JSON twice), one sentence each.
        passages_used: how many retrieved passages fit the prompt's token budget.
        latency: seconds in model calls; prompt_tokens/completion_tokens: usage.
        target: the Han characters the section was asked to run to (store median or prompt).
        hits: every passage retrieved for the section (:class:`drafter.index.retrieval.Hit`), in
            the order retrieved (the ``weave`` strategy retrieves per paragraph).
    """

    kind: str
    heading: str
    body: str
    figures: list[Figure] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    check: CheckResult = field(default_factory=CheckResult)
    strategy: str = "compose"
    method: str = ""
    prompt: str = ""
    prompt_sha256: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    latency: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    repair_rounds: int = 0
    passages_used: int = 0
    instructions: str = ""
    target: int = 0
    hits: list[Any] = field(default_factory=list)

    def marked_body(self) -> str:
        """Body with each remaining finding marked inline and span-less ones listed after it.

        Number and name findings read 〔待核：…〕 (check the figure); genre findings
        〔待改：…〕 (edit the wording). Overlapping findings share one mark, 待核 first.
        """
        body = self.body
        spans: list[list] = []
        number = [(f, "待核") for f in self.check.findings if f.start >= 0]
        genre = [(f, "待改") for f in self.check.genre if f.start >= 0]
        for f, tag in sorted(number + genre, key=lambda x: (x[0].start, x[1] != "待核")):
            if spans and f.start < spans[-1][1]:  # a name inside a copied run: one mark for both
                spans[-1][1] = max(spans[-1][1], f.end)
                if tag == "待核":
                    spans[-1][2] = tag  # a number or a name to check outweighs wording to edit
            else:
                spans.append([f.start, f.end, tag])
        for start, end, tag in reversed(spans):
            body = body[:start] + f"〔{tag}：{body[start:end]}〕" + body[end:]
        missing = [f for f in self.check.findings if f.start < 0]
        if missing:
            body += "\n\n" + "\n".join(f"> 〔待核〕{f.explanation or f.figure}" for f in missing)
        return body


@dataclass
class Draft:
    """A drafted report (or single section), complete or stopped part-way by an error.

    When an error (a :class:`~drafter.errors.DrafterError`, e.g. the model server
    failing) stops a report after some sections were finished,
    :func:`drafter.drafting.report.write_report` returns the finished ones as an
    incomplete draft instead of raising: :attr:`status` is ``"incomplete"``, the
    sections not written are in ``missing`` and the error in ``error`` and
    ``error_type``; the text ends with :meth:`incomplete_note`.

    Attributes:
        title: report title; sections: in order; script: output script
            (``simplified`` or ``traditional``); with_title: print the title line.
        missing: headings (or labels, e.g. ``二、存在问题``) of the outline sections
            not written because an error stopped the report; empty when complete.
        error: that error's message (``''`` when complete).
        error_type: that error's class name, e.g. ``"ModelError"`` (``''`` when complete).
    """

    title: str
    sections: list[SectionDraft]
    script: str = "simplified"
    with_title: bool = True
    missing: list[str] = field(default_factory=list)
    error: str = ""
    error_type: str = ""

    @property
    def status(self) -> str:
        """``"complete"``, or ``"incomplete"`` when an error stopped the report before every section was written."""
        return "incomplete" if self.missing else "complete"

    @property
    def complete(self) -> bool:
        """False when an error stopped the report before every section was written (``status == "complete"``)."""
        return self.status == "complete"

    @property
    def ok(self) -> bool:
        """True when the draft is complete and every section's check is clean."""
        return self.complete and all(s.check.ok for s in self.sections)

    def incomplete_note(self) -> str:
        """The mark an incomplete draft carries at its end (``''`` when complete)."""
        return report_text()["incomplete_note"].format(missing="、".join(self.missing)) if self.missing else ""

    @property
    def check(self) -> CheckResult:
        """All sections' findings and figure statuses together."""
        out = CheckResult()
        for s in self.sections:
            out.findings.extend(s.check.findings)
            out.figures.extend(s.check.figures)
            out.notes.extend(s.check.notes)
            out.genre.extend(s.check.genre)
        return out

    @property
    def signable(self) -> bool:
        """True when the draft is :attr:`ok` and the genre check found nothing to strike out."""
        return self.ok and all(s.check.genre_ok for s in self.sections)

    @property
    def sources(self) -> list[Source]:
        """Distinct passages drawn on, in order of use."""
        seen: dict[str, Source] = {}
        for s in self.sections:
            for src in s.sources:
                seen.setdefault(src.chunk_id, src)
        return list(seen.values())

    def user_words(self) -> list[str]:
        """The user's own words the draft carries: figure names and units, facts (kept as typed when converting)."""
        out: list[str] = []
        for s in self.sections:
            out += [f.name for f in s.figures] + [f.unit for f in s.figures] + [f.text for f in s.facts]
        return out

    def _convert(self, text: str) -> str:
        if self.script != "traditional":
            return text
        from drafter.drafting.clauses import to_script

        return to_script(text, "traditional", self.user_words())

    def markdown(self, marked: bool = True) -> str:
        """The draft as Markdown: ``# title``, ``## 一、…`` headings, findings marked."""
        parts = [f"# {self.title}"] if self.with_title else []
        for s in self.sections:
            if s.heading:
                parts.append(f"## {s.heading}")
            parts.append(s.marked_body() if marked else s.body)
        parts.append(self.incomplete_note())
        return self._convert("\n\n".join(p for p in parts if p)) + "\n"

    @property
    def text(self) -> str:
        """Plain text of the draft (headings as lines, no Markdown marks, no finding marks)."""
        parts = [self.title] if self.with_title else []
        for s in self.sections:
            parts.extend([s.heading, s.body])
        parts.append(self.incomplete_note())
        return self._convert("\n\n".join(p for p in parts if p)) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: title, text, ok, status, complete, missing_sections, error, error_type,
        sections (kind, heading, text, sources, check), sources, check."""
        return {
            "title": self._convert(self.title),
            "text": self.text,
            "ok": self.ok,
            "status": self.status,
            "complete": self.complete,
            "missing_sections": [self._convert(m) for m in self.missing],
            "error": self.error,
            "error_type": self.error_type,
            "script": self.script,
            "sections": [
                {
                    "kind": s.kind, "heading": self._convert(s.heading), "text": self._convert(s.body),
                    "strategy": s.strategy, "method": s.method, "prompt": s.prompt, "sources": [x.to_dict() for x in s.sources],
                    "check": s.check.to_dict(), "warnings": s.warnings, "latency": round(s.latency, 3),
                    "tokens": {"prompt": s.prompt_tokens, "completion": s.completion_tokens},
                }
                for s in self.sections
            ],
            "sources": [x.to_dict() for x in self.sources],
            "check": self.check.to_dict(),
        }
