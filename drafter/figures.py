"""This period's figures, facts and names: the only numbers a draft may carry.

A figures file is YAML, JSON, CSV or .xlsx:

.. code-block:: yaml

    title: 2024年青禾村驻村工作总结      # optional
    organisation: 青禾村驻村工作队         # optional
    period: 2024年                         # optional
    figures:
      - {name: 新建改造农村公路, value: 12.6, unit: 公里, section: work}
      - {name: 脱贫户人均纯收入, value: 15200, unit: 元}
    facts:                                  # issue 7: this period's work, no numbers
      - 成立村红白理事会
      - {text: 村史馆建成开放, section: work}
    names: [青禾村, 青禾村股份经济合作社]   # proper names that may appear

A bare YAML/JSON list of figures is accepted. CSV and .xlsx take the columns
``name,value,unit[,section,id,role]`` (header row required; CSV in UTF-8 with or
without BOM, or GB18030). In an .xlsx, a merged cell's value stands in every
cell it covers (a unit merged over two rows is the unit of both). Values accept full-width digits and thousands
separators (normalised), a value written with its unit (``4.5公里``) when
the unit matches or is absent, ranges (``2-3``, ``2至3``, ``2～3``: the
draft must state the range, e.g. 每组由2至3人组成) and approximations as a
report writes them (``500余``, ``20多``, ``约30``, ``30以上``: compared by
their number). Every error names the file and the figure (row or
index) and field; a table row left without any unit is loaded as a bare number
and reported in :attr:`FigureSet.warnings`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from drafter.errors import InputError
from drafter.corpus.kinds import parse_kind

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d+)?|\.\d+)")
_SPAN_RE = re.compile(
    r"^(?P<pre>约|近|将近|接近|超过|逾|超)?\s*(?P<low>\d+(?:\.\d+)?)\s*(?P<mid>多|余)?"
    r"(?:\s*(?:-|~|～|—|–|至|到)\s*(?P<high>\d+(?:\.\d+)?)\s*(?P<mid2>多|余)?)?\s*(?P<post>以上|以下|左右|多|余)?"
)
_HIGH_RE = re.compile(r"(?:-|~|～|—|–|至|到)\s*(\d+(?:\.\d+)?)")
_EXPONENT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+")
"""A value in exponent notation (``1e400``, ``1.5E3``): refused, not read as a unit ``e400``."""
_KNOWN_KEYS = {"title", "organisation", "organization", "period", "figures", "facts", "names", "script"}
_FIGURE_KEYS = {"name", "value", "unit", "section", "id", "role"}
ROLES = ("base", "result", "change", "problem", "target")
"""What a figure does in a report (see :func:`drafter.drafting.clauses.figure_role`)."""


@dataclass(frozen=True)
class Figure:
    """One figure of this period.

    Attributes:
        name: what is counted, as it should read (e.g. 新建改造农村公路).
        value: the exact value as a Decimal, in the written unit (12.6 for 12.6公里).
        unit: the unit or measure word as it should be written after the value
            (公里, 万元, 人次, %); ``""`` for a bare number.
        section: section kind it belongs to (see :mod:`drafter.corpus.kinds`) or None.
        id: optional stable id from the file.
        value_text: the value as it will be written (``12.6``; no exponent;
            ``2-3`` for a range, ``500余`` or ``约30`` for an approximation).
        role: what the figure does in the report, one of :data:`ROLES` — ``base``
            (a fact about the place, stated in the opening), ``result``,
            ``change`` (written after its level), ``problem`` (evidence in 存在问题),
            ``target`` (a goal in 下步工作打算) — or None to infer it from the name
            (:func:`drafter.drafting.clauses.figure_role`).
        high: the upper end of a range value (``2-3`` → 3), else None; ``value``
            is then the lower end.
    """

    name: str
    value: Decimal
    unit: str
    section: str | None = None
    id: str | None = None
    value_text: str = ""
    role: str | None = None
    high: Decimal | None = None

    def render(self) -> str:
        """The figure as written in a draft: value text then unit (``12.6公里``)."""
        return f"{self.value_text or format_decimal(self.value)}{self.unit}"

    def render_in(self, script: str = "simplified") -> str:
        """:meth:`render` with the unit in ``script``, converted character by character (萬元 → 万元)."""
        from drafter.drafting.clauses import user_words

        return f"{self.value_text or format_decimal(self.value)}{user_words(self.unit, script)}"


@dataclass(frozen=True)
class Fact:
    """A statement of this period's work, without numbers (e.g. 成立村红白理事会)."""

    text: str
    section: str | None = None


@dataclass
class FigureSet:
    """Everything the user supplied for one draft.

    Attributes:
        figures: the figures, in file order.
        title, organisation, period: optional header fields.
        facts: statements of this period's work (no numbers).
        names: proper names that may appear in the draft.
        source: the file they came from, or None when built in code.
        warnings: things the user should look at, one sentence each naming the
            file, row and figure (a CSV/.xlsx row with an empty unit cell and no
            unit in its value: loaded as a bare number). The CLI prints them.
    """

    figures: list[Figure]
    title: str | None = None
    organisation: str | None = None
    period: str | None = None
    facts: list[Fact] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def for_section(self, kind: str) -> list[Figure]:
        """Figures whose ``section`` is ``kind``."""
        return [f for f in self.figures if f.section == kind]

    def facts_for(self, kind: str) -> list[Fact]:
        """Facts whose ``section`` is ``kind`` or unset (unset facts go to ``work``)."""
        return [f for f in self.facts if f.section == kind or (f.section is None and kind == "work")]


def format_decimal(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros beyond the given ones."""
    text = format(value, "f")
    return text


def parse_value(raw: Any, unit: str | None, where: str) -> tuple[Decimal, str | None, str]:
    """Parse a figure value from a file.

    Accepts numbers, and strings with full-width digits (NFKC-normalised),
    thousands separators (``1,250``) and a trailing unit (``4.5公里``).

    Returns:
        ``(value, unit_found_in_value_or_None, value_text)``.

    Raises:
        InputError: not a number, naming ``where``.
    """
    if isinstance(raw, bool) or raw is None:
        raise InputError(f"{where}: 'value' is missing; give the number, e.g. value: 12.6.")
    if isinstance(raw, int):
        return Decimal(raw), None, str(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise InputError(f"{where}: value '{raw}' is not a finite number (too large, e.g. 1e400, or NaN); write the number in digits.")
        text = repr(raw)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return Decimal(text), None, text
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace("，", ",")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?.*", text):
        text = text.replace(",", "")
    if _EXPONENT_RE.fullmatch(text):
        raise InputError(
            f"{where}: value '{raw}' is in exponent notation; write the number in digits as the report should "
            "give it, e.g. 12.6 or 15630."
        )
    m = _SPAN_RE.match(text)
    if not (m and (m.group("pre") or m.group("mid") or m.group("high") or m.group("post"))):
        m = _NUM_RE.match(text)
    if not m:
        raise InputError(f"{where}: value '{raw}' is not a number. Write digits, e.g. 12.6 (the unit goes in 'unit').")
    number, rest = re.sub(r"\s+", "", m.group(0)), text[m.end():].strip()
    try:
        value = Decimal(m.group("low") if "low" in m.groupdict() else number)
    except InvalidOperation as exc:  # pragma: no cover - regex guarantees a number
        raise InputError(f"{where}: value '{raw}' is not a number.") from exc
    if rest:
        if rest in ("万", "萬", "亿", "億") or rest[0] in "万萬亿億" and unit and not unit.startswith(rest[0]):
            raise InputError(
                f"{where}: value '{raw}' carries a multiplier ('{rest}'); put it in the unit (e.g. unit: 万元) or write the full number."
            )
        if unit and rest != unit:
            raise InputError(f"{where}: value '{raw}' has the unit '{rest}' but 'unit' says '{unit}'.")
        return value, rest, number
    return value, None, number


def range_high(value_text: str) -> Decimal | None:
    """The upper end of a range value (``2-3``, ``2至3``, ``2～3`` → 3), else None."""
    m = _HIGH_RE.search(unicodedata.normalize("NFKC", value_text or ""))
    return Decimal(m.group(1)) if m else None


def _figure(entry: Any, where: str, seen: dict[str, str]) -> Figure:
    if not isinstance(entry, dict):
        raise InputError(f"{where}: a figure must be a mapping with name, value and unit, got {entry!r}.")
    unknown = set(entry) - _FIGURE_KEYS
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; a figure has {', '.join(sorted(_FIGURE_KEYS))}.")
    name = str(entry.get("name") or "").strip()
    if not name:
        raise InputError(f"{where}: 'name' is missing; say what is counted, e.g. name: 新建改造农村公路.")
    where = f"{where} ({name})"
    unit = entry.get("unit")
    unit = None if unit is None else unicodedata.normalize("NFKC", str(unit)).strip()
    value, unit_in_value, value_text = parse_value(entry.get("value"), unit, where)
    if not unit and unit_in_value:  # an empty unit cell (CSV, .xlsx) or '': the value's own unit (4.5公里)
        unit = unit_in_value
    if unit is None:
        if unit_in_value is None:
            raise InputError(f"{where}: 'unit' is missing; give the unit as it should be written (公里, 万元, 人次, %), or unit: '' for a bare number.")
        unit = unit_in_value
    if unit == "％":
        unit = "%"
    key = re.sub(r"\s+", "", name)
    if key in seen:
        raise InputError(f"{where}: duplicate figure name (also at {seen[key]}); give each figure its own name.")
    seen[key] = where
    section = entry.get("section")
    section = parse_kind(section, f"{where}: section") if section not in (None, "") else None
    fid = entry.get("id")
    role = entry.get("role")
    role = None if role in (None, "") else str(role).strip().lower()
    if role is not None and role not in ROLES:
        raise InputError(f"{where}: role '{entry.get('role')}' is not one of {', '.join(ROLES)}.")
    high = range_high(value_text)
    if high is not None and high <= value:
        raise InputError(f"{where}: the range '{value_text}' must go from the lower to the higher value.")
    return Figure(name=name, value=value, unit=unit, section=section, id=str(fid) if fid not in (None, "") else None,
                  value_text=value_text, role=role, high=high)


def _facts(raw: Any, path: Path) -> list[Fact]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{path}: 'facts' must be a list of statements.")
    out = []
    for i, item in enumerate(raw, 1):
        where = f"{path}: facts #{i}"
        if isinstance(item, str):
            text, section = item, None
        elif isinstance(item, dict) and "text" in item and set(item) <= {"text", "section"}:
            text, section = str(item["text"]), item.get("section")
        else:
            raise InputError(f"{where}: a fact is a string or a mapping with 'text' and optional 'section'.")
        if not text.strip():
            raise InputError(f"{where}: empty fact.")
        from drafter.guard.quantities import extract_quantities

        numbers = [q.text for q in extract_quantities(text) if not q.placeholder]
        if numbers:
            raise InputError(
                f"{where}: the fact '{text.strip()}' carries the number {numbers[0]}; facts are without numbers "
                "(the checker would call it invented). Put the number in 'figures'."
            )
        out.append(Fact(text.strip(), parse_kind(section, f"{where}: section") if section else None))
    return out


def figures_from_data(data: Any, path: Path) -> FigureSet:
    """Build a :class:`FigureSet` from parsed YAML/JSON data.

    Raises:
        InputError: naming the file, the figure index and the field at fault.
    """
    header: dict[str, Any] = {}
    if isinstance(data, list):
        entries = data
    elif isinstance(data, dict):
        unknown = set(data) - _KNOWN_KEYS
        if unknown:
            raise InputError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(sorted(_KNOWN_KEYS))}.")
        if "figures" not in data:
            raise InputError(f"{path}: no 'figures' list.")
        entries = data["figures"]
        header = data
    else:
        raise InputError(f"{path}: expected a mapping with 'figures' or a list of figures.")
    if not isinstance(entries, list):
        raise InputError(f"{path}: 'figures' must be a list.")
    if not entries and not (isinstance(data, dict) and data.get("facts")):
        raise InputError(f"{path}: the figures list is empty (and there are no facts to write about).")
    seen: dict[str, str] = {}
    figures = [_figure(e, f"{path}: figure #{i}", seen) for i, e in enumerate(entries, 1)]
    names = header.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(f"{path}: 'names' must be a list of strings.")
    org = header.get("organisation", header.get("organization"))
    return FigureSet(
        figures=figures,
        title=str(header["title"]) if header.get("title") else None,
        organisation=str(org) if org else None,
        period=str(header["period"]) if header.get("period") else None,
        facts=_facts(header.get("facts"), path),
        names=[n.strip() for n in names if n.strip()],
        source=path,
    )


def _decode_csv(raw: bytes, path: Path) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: the CSV is neither UTF-8 nor GB18030; save it as UTF-8.")


def _rows_to_data(header: list[str], rows: list[tuple[int, list[Any]]], path: Path) -> list[dict]:
    cols = [str(h or "").strip().lower() for h in header]
    for need in ("name", "value", "unit"):
        if need not in cols:
            raise InputError(f"{path}: line 1: the header needs columns name,value,unit[,section,id,role]; '{need}' is missing.")
    unknown = [c for c in cols if c and c not in _FIGURE_KEYS]
    if unknown:
        raise InputError(f"{path}: line 1: unknown column(s) {', '.join(unknown)}.")
    out = []
    for lineno, row in rows:
        if all(c in (None, "") for c in row):
            continue
        entry = {c: v for c, v in zip(cols, row) if c and v not in (None,)}
        entry["unit"] = "" if entry.get("unit") is None else entry["unit"]
        entry["_line"] = lineno
        out.append(entry)
    return out


def _load_table(entries: list[dict], path: Path, what: str) -> FigureSet:
    if not entries:
        raise InputError(f"{path}: the figures list is empty.")
    seen: dict[str, str] = {}
    figures, warnings = [], []
    for e in entries:
        line = e.pop("_line")
        for k in ("section", "id", "role"):
            if e.get(k) == "":
                e.pop(k)
        fig = _figure(e, f"{path}: {what} {line}", seen)
        if not fig.unit:
            warnings.append(
                f"{path}: {what} {line} ({fig.name}): no unit (the unit cell is empty), so it is written as the bare "
                f"number {fig.render()}; give its unit (次, 个, 人, 公里 …) if it has one."
            )
        figures.append(fig)
    return FigureSet(figures=figures, source=path, warnings=warnings)


def load_figures(path: str | Path) -> FigureSet:
    """Load a figures file (.yaml/.yml, .json, .csv, .xlsx).

    Args:
        path: the file.

    Returns:
        A :class:`FigureSet`.

    Raises:
        InputError: file missing/unreadable/malformed, with file, line or
            figure and field named.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: figures file not found.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the figures file.")
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the figures file ({exc.strerror}).") from exc
    if suffix == ".xlsx":
        return _load_xlsx(path)
    if suffix == ".csv":
        text = _decode_csv(raw, path)
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            raise InputError(f"{path}: the CSV is empty.")
        return _load_table(_rows_to_data(rows[0], [(i, r) for i, r in enumerate(rows[1:], 2)], path), path, "line")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8.") from exc
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}).") from exc
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark else ""
            raise InputError(f"{path}: {line}not valid YAML ({getattr(exc, 'problem', exc)}).") from exc
    else:
        raise InputError(f"{path}: unknown figures format '{suffix}'; use .yaml, .json, .csv or .xlsx.")
    if data is None:
        raise InputError(f"{path}: the file is empty.")
    return figures_from_data(data, path)


def _load_xlsx(path: Path) -> FigureSet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:  # not read_only: a read-only sheet does not know its merged cells
        wb = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .xlsx workbook ({exc}).") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise InputError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}).") from exc
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:  # a merged cell's value covers every cell of its range
        value = rows[rng.min_row - 1][rng.min_col - 1]
        for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
            for c in range(rng.min_col - 1, min(rng.max_col, len(rows[r]))):
                rows[r][c] = value
    wb.close()
    if not rows:
        raise InputError(f"{path}: the first sheet is empty.")
    entries = _rows_to_data(rows[0], [(i, r) for i, r in enumerate(rows[1:], 2)], path)
    return _load_table(entries, path, f"sheet '{ws.title}' row")


# -- every row's error at once (the page's figures table) ------------------------

@dataclass
class FigureRow:
    """One figure of a table as written, with the loader's error for it.

    Attributes:
        entry: the row's fields as given (name, value, unit, section, id).
        where: the row's place as errors name it (``figures.csv: line 3``, ``row 2``).
        error: the message :func:`load_figures` gives for this row (the same
            words as the CLI), or None when the row is a valid figure.
    """

    entry: dict[str, Any]
    where: str
    error: str | None = None


def check_rows(entries: list[Any], where: list[str]) -> list[FigureRow]:
    """Check every figure entry, not only up to the first bad one.

    Args:
        entries: figure mappings (name, value, unit, section, id), as in a file.
        where: each entry's place for messages (same length as ``entries``).

    Returns:
        One :class:`FigureRow` per entry; a duplicate name is the second row's error.
    """
    seen: dict[str, str] = {}
    rows = []
    for entry, w in zip(entries, where):
        clean = {k: v for k, v in entry.items() if not (k in ("section", "id") and v in ("", None))} if isinstance(entry, dict) else entry
        try:
            _figure(clean, w, seen)
            error = None
        except InputError as exc:
            error = str(exc)
        rows.append(FigureRow(dict(entry) if isinstance(entry, dict) else {"value": entry}, w, error))
    return rows


def read_figure_rows(path: str | Path, shown: str | None = None) -> tuple[dict[str, Any], list[FigureRow]]:
    """Read a figures file without stopping at its first bad figure.

    Args:
        path: the file (.yaml/.yml, .json, .csv, .xlsx).
        shown: the file name to use in messages (default ``path``), e.g. the
            name of an uploaded file rather than where it was saved.

    Returns:
        ``(header, rows)``: the header fields as given (title, organisation,
        period, facts, names; empty for CSV and .xlsx) and every figure row
        with its error, worded as :func:`load_figures` words it.

    Raises:
        InputError: the file as a whole is unreadable (not found, not valid
            YAML/JSON, not a workbook, a CSV header without name,value,unit,
            unknown top-level keys, unknown format).
    """
    path = Path(path)
    label = Path(shown) if shown else path
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json", ".csv", ".xlsx"):
        raise InputError(f"{label}: unknown figures format '{suffix}'; use .yaml, .json, .csv or .xlsx.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot read the figures file ({exc.strerror}).") from exc
    if suffix in (".csv", ".xlsx"):
        if suffix == ".csv":
            rows = list(csv.reader(io.StringIO(_decode_csv(raw, label))))
            what, title = "line", None
        else:
            title, rows = _xlsx_sheet(path, label)
            what = f"sheet '{title}' row"
        if not rows:
            raise InputError(f"{label}: the table is empty.")
        entries = _rows_to_data(rows[0], [(i, r) for i, r in enumerate(rows[1:], 2)], label)
        where = [f"{label}: {what} {e.pop('_line')}" for e in entries]
        return {}, check_rows(entries, where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (byte {exc.start}); save the file as UTF-8.") from exc
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: line {exc.lineno}: not valid JSON ({exc.msg}).") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"{label}: {f'line {mark.line + 1}: ' if mark else ''}not valid YAML ({getattr(exc, 'problem', exc)}).") from exc
    header: dict[str, Any] = {}
    if isinstance(data, dict):
        unknown = set(data) - _KNOWN_KEYS
        if unknown:
            raise InputError(f"{label}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(sorted(_KNOWN_KEYS))}.")
        header = {k: v for k, v in data.items() if k != "figures"}
        data = data.get("figures") or []
    if not isinstance(data, list):
        raise InputError(f"{label}: 'figures' must be a list.")
    return header, check_rows(data, [f"{label}: figure #{i}" for i in range(1, len(data) + 1)])


def _xlsx_sheet(path: Path, label: Path) -> tuple[str, list[list[Any]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{label}: not a readable .xlsx workbook ({exc}).") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise InputError(f"{label}: not a readable .xlsx workbook ({type(exc).__name__}).") from exc
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    return ws.title, rows
