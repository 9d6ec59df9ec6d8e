"""Eval suites: YAML files of cases, validated strictly before any model call.

A suite (``evals/suites/sections.yaml``)::

    name: sections
    description: 工作开展情况 and friends over the bundled corpus
    corpus: [corpus]                 # default corpus of every case
    cases:
      - id: liutang-2025-work
        section: work                # or outline: [opening, work, {kind: problems, heading: 存在的不足}]
        figures_file: corpus/figures-example.yaml    # or figures: {organisation: …, figures: [...]}
        corpus: [../shared/corpus]   # retrieval is limited to these paths
        expect: {length: [250, 900], must_mention: [村史馆], must_not_mention: [4.6公里]}
        tags: [near-miss]

Relative paths (``corpus``, ``figures_file``) resolve against ``root:`` when
the suite sets it (relative to the suite file), else against the repository
root when the suite lies inside the checkout, else against the suite's folder.
Unknown keys are errors; every error names the suite file, the case id and
the field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drafter.config import REPO_ROOT
from drafter.errors import DrafterError, InputError
from drafter.figures import Figure, FigureSet, figures_from_data, load_figures
from drafter.corpus.kinds import parse_kind
from drafter.drafting.report import OutlineItem, assign_figures, default_outline
from drafter.validation import explain_validation


class Expect(BaseModel):
    """Optional expectations of a case; they feed metrics, never the prompt."""

    model_config = ConfigDict(extra="forbid")
    length: tuple[int, int] | None = Field(None, description="[min, max] characters of the drafted body text.")
    must_mention: list[str] = Field(default_factory=list, description="Terms the draft should contain.")
    must_not_mention: list[str] = Field(default_factory=list, description="Terms the draft must not contain (old figures, other villages).")

    @field_validator("length")
    @classmethod
    def _range(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not (0 <= v[0] <= v[1]):
            raise ValueError("length must be [min, max] with 0 <= min <= max")
        return v


class CaseSpec(BaseModel):
    """One case as written in the suite file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    description: str = ""
    section: str | None = None
    outline: list[str | dict[str, str]] | None = None
    corpus: list[str] | None = None
    figures: dict[str, Any] | list[Any] | None = None
    figures_file: str | None = None
    expect: Expect = Field(default_factory=Expect)
    tags: list[str] = Field(default_factory=list)


class SuiteSpec(BaseModel):
    """A suite file."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    description: str = ""
    root: str | None = None
    corpus: list[str] = Field(default_factory=list)
    cases: list[CaseSpec] = Field(min_length=1)


@dataclass
class Case:
    """A validated case, ready to draft.

    Attributes:
        id: unique id within the suite. tags: free labels (``near-miss``).
        outline: the sections to write (one item for a ``section:`` case).
        single: True for a ``section:`` case (drafted with ``sections=[kind]``).
        figset: the figures, facts and names.
        corpus: resolved corpus paths, or None for the store as it is.
        expect: the expectations. script: output script from the figures'
            ``script:`` key (None: the settings' script). sha256: hash of everything that shapes the
            prompt (outline, figures, corpus), used to resume runs safely.
    """

    id: str
    outline: list[OutlineItem]
    single: bool
    figset: FigureSet
    corpus: list[Path] | None
    expect: Expect
    tags: list[str] = field(default_factory=list)
    description: str = ""
    script: str | None = None
    sha256: str = ""

    @property
    def kinds(self) -> list[str]:
        """Section kinds in order."""
        return [o.kind for o in self.outline]


@dataclass
class Suite:
    """A loaded suite.

    Attributes:
        name, description: from the file. path: the file. sha256: hash of its bytes.
        root: folder relative paths resolved against. cases: in file order.
    """

    name: str
    path: Path
    sha256: str
    root: Path
    cases: list[Case]
    description: str = ""

    def select(self, tags: list[str] | None = None, ids: list[str] | None = None) -> list[Case]:
        """Cases having any of ``tags`` and (when given) an id in ``ids``.

        Raises:
            InputError: a tag or id that selects nothing.
        """
        cases = self.cases
        if ids:
            unknown = sorted(set(ids) - {c.id for c in cases})
            if unknown:
                raise InputError(f"{self.path}: no case with id {', '.join(unknown)}.")
            cases = [c for c in cases if c.id in ids]
        if tags:
            cases = [c for c in cases if set(tags) & set(c.tags)]
            if not cases:
                raise InputError(f"{self.path}: no case has the tag(s) {', '.join(tags)}.")
        return cases


def figure_to_dict(f: Figure) -> dict[str, Any]:
    """JSON form of a figure (the value as written, so it round-trips exactly)."""
    return {"name": f.name, "value": f.value_text or format(f.value, "f"), "unit": f.unit, "section": f.section, "id": f.id,
            "role": f.role}


def figure_from_dict(d: dict[str, Any]) -> Figure:
    """Inverse of :func:`figure_to_dict`."""
    from drafter.figures import parse_value, range_high

    value, _, text = parse_value(d["value"], None, f"figure {d['name']}")
    return Figure(name=d["name"], value=value, unit=d.get("unit") or "", section=d.get("section"),
                  id=d.get("id"), value_text=d["value"], high=range_high(text), role=d.get("role"))


def figset_to_dict(fs: FigureSet) -> dict[str, Any]:
    """JSON form of a figure set (figures, facts, names, header fields)."""
    return {
        "title": fs.title, "organisation": fs.organisation, "period": fs.period,
        "figures": [figure_to_dict(f) for f in fs.figures],
        "facts": [{"text": f.text, "section": f.section} for f in fs.facts],
        "names": list(fs.names),
    }


def _resolve(root: Path, items: list[str], where: str) -> list[Path]:
    out = []
    for item in items:
        p = Path(item).expanduser()
        p = p if p.is_absolute() else (root / p)
        if not p.exists():
            raise InputError(f"{where}: path '{item}' does not exist (resolved to {p.resolve()}).")
        out.append(p.resolve())
    return out


def _outline(spec: CaseSpec, where: str) -> tuple[list[OutlineItem], bool]:
    if (spec.section is None) == (spec.outline is None):
        raise InputError(f"{where}: give exactly one of 'section' (one kind) or 'outline' (a list of kinds).")
    if spec.section is not None:
        return default_outline((parse_kind(spec.section, f"{where}: field 'section'"),)), True
    if not spec.outline:
        raise InputError(f"{where}: field 'outline' is empty.")
    items = []
    for i, entry in enumerate(spec.outline, 1):
        w = f"{where}: field 'outline' item {i}"
        if isinstance(entry, str):
            items.append(default_outline((parse_kind(entry, w),))[0])
        elif "kind" in entry and set(entry) <= {"kind", "heading"}:
            base = default_outline((parse_kind(entry["kind"], w),))[0]
            items.append(OutlineItem(base.kind, entry.get("heading") or base.heading))
        else:
            raise InputError(f"{w}: write a kind (work) or a mapping with 'kind' and optional 'heading'.")
    return items, False


def _figures(spec: CaseSpec, root: Path, where: str) -> tuple[FigureSet, str | None]:
    """The case's figures and the output script its figures data asks for (``script:``), if any."""
    if (spec.figures is None) == (spec.figures_file is None):
        raise InputError(f"{where}: give exactly one of 'figures' (inline) or 'figures_file'.")
    if spec.figures_file is not None:
        path = _resolve(root, [spec.figures_file], f"{where}: field 'figures_file'")[0]
        try:
            figset = load_figures(path)
        except DrafterError as exc:
            raise InputError(f"{where}: field 'figures_file': {exc}") from exc
        data: Any = None
        if path.suffix.lower() in (".yaml", ".yml", ".json"):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
            except (OSError, yaml.YAMLError, UnicodeDecodeError):
                data = None
        field_name = "figures_file"
    else:
        data = spec.figures
        figset = figures_from_data(data, Path(f"{where}: field 'figures'"))
        field_name = "figures"
    script = data.get("script") if isinstance(data, dict) else None
    if script is not None and script not in ("simplified", "traditional"):
        raise InputError(f"{where}: field '{field_name}.script' must be simplified or traditional, not '{script}'.")
    return figset, script


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def load_suite(path: str | Path) -> Suite:
    """Load and validate a suite file.

    Args:
        path: the YAML suite.

    Returns:
        The :class:`Suite`, every case's figures loaded and paths resolved.

    Raises:
        InputError: unreadable file, bad YAML, unknown or invalid field, duplicate
            case id, missing path, or figures that do not fit the case's sections —
            naming the file, the case id and the field.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
        raw = yaml.safe_load(raw_bytes.decode("utf-8-sig"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the suite ({exc.strerror or exc}).") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML ({exc}).") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a suite is a mapping with 'name' and 'cases'.")
    try:
        spec = SuiteSpec(**raw)
    except ValidationError as exc:
        raise InputError(explain_validation(exc, str(path), model=SuiteSpec, data=raw, items={"cases": "case"},
                                            text=raw_bytes.decode("utf-8-sig"), most=5)) from exc
    if spec.root:
        root = (path.parent / spec.root).resolve()
    else:
        inside = REPO_ROOT in path.resolve().parents
        root = REPO_ROOT if inside else path.parent.resolve()
    default_corpus = _resolve(root, spec.corpus, f"{path}: field 'corpus'") if spec.corpus else None
    cases: list[Case] = []
    seen: set[str] = set()
    for cs in spec.cases:
        where = f"{path}: case '{cs.id}'"
        if cs.id in seen:
            raise InputError(f"{where}: duplicate case id.")
        seen.add(cs.id)
        outline, single = _outline(cs, where)
        figset, script = _figures(cs, root, where)
        try:
            # a section: case ignores the others' figures (as --section does), but must have its own
            assigned = assign_figures(figset, [o.kind for o in outline], partial=single)
        except DrafterError as exc:
            raise InputError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from exc
        kind = outline[0].kind
        if single and kind == "work" and not assigned[kind] and not figset.facts_for(kind):
            raise InputError(f"{where}: field 'figures': no figure or fact belongs to the section '{kind}' the case writes "
                             "(the outline does not have the sections its figures belong to).")
        corpus = _resolve(root, cs.corpus, f"{where}: field 'corpus'") if cs.corpus is not None else default_corpus
        shaped = {"outline": [(o.kind, o.heading) for o in outline], "single": single, "figures": figset_to_dict(figset),
                  "corpus": [str(p) for p in corpus] if corpus else None, "script": script}
        cases.append(Case(cs.id, outline, single, figset, corpus, cs.expect, list(cs.tags), cs.description, script, _sha(shaped)))
    return Suite(spec.name, path, hashlib.sha256(raw_bytes).hexdigest(), root, cases, spec.description)
