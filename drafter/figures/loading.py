"""Reading a figures file into a :class:`~drafter.figures.model.FigureSet`, stopping at its first error.

:func:`load_figures` reads YAML, JSON, CSV or .xlsx (the format is described in
:mod:`drafter.figures`); :func:`figures_from_data` builds the set from parsed
YAML/JSON. The readers of a file's bytes (:func:`read_data`, :func:`read_table`)
and of one figure entry (:func:`figure_from_entry`) are shared with
:mod:`drafter.figures.rows`, so that both word every error alike.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from drafter.corpus.kinds import parse_kind
from drafter.errors import InputError
from drafter.figures.model import ROLES, Fact, Figure, FigureSet
from drafter.figures.values import parse_value, range_high

__all__ = ["check_header", "figure_from_entry", "figures_from_data", "load_figures", "read_bytes", "read_data", "read_table",
           "rows_to_entries"]

_KNOWN_KEYS = {"title", "organisation", "organization", "period", "figures", "facts", "names", "script"}
_FIGURE_KEYS = {"name", "value", "unit", "section", "id", "role"}


def check_header(data: dict[str, Any], path: Path) -> None:
    """Refuse top-level keys a figures file does not have.

    Raises:
        InputError: naming the file, the unknown keys and the known ones.
    """
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(sorted(_KNOWN_KEYS))}.")


def figure_from_entry(entry: Any, where: str, seen: dict[str, str]) -> Figure:
    """One figure from its mapping (name, value, unit, section, id, role) as written in a file.

    Args:
        entry: the mapping.
        where: its place for messages (``figures.yaml: figure #2``).
        seen: names met so far (whitespace removed) → their place; updated.

    Raises:
        InputError: naming ``where``, the figure and the field at fault.
    """
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
        check_header(data, path)
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
    figures = [figure_from_entry(e, f"{path}: figure #{i}", seen) for i, e in enumerate(entries, 1)]
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


def rows_to_entries(header: list[str], rows: list[tuple[int, list[Any]]], path: Path) -> list[dict]:
    """Figure mappings from a table's header and ``(line, cells)`` rows; each keeps its line as ``_line``.

    Raises:
        InputError: the header lacks name, value or unit, or has an unknown column.
    """
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
        fig = figure_from_entry(e, f"{path}: {what} {line}", seen)
        if not fig.unit:
            warnings.append(
                f"{path}: {what} {line} ({fig.name}): no unit (the unit cell is empty), so it is written as the bare "
                f"number {fig.render()}; give its unit (次, 个, 人, 公里 …) if it has one."
            )
        figures.append(fig)
    return FigureSet(figures=figures, source=path, warnings=warnings)


def read_data(path: Path, raw: bytes, label: Path) -> Any:
    """Parse a YAML or JSON figures file's bytes (the format by ``path``'s suffix).

    Args:
        path: the file; raw: its bytes; label: the name messages give it.

    Raises:
        InputError: not UTF-8, not valid JSON/YAML (with the line), or an unknown format.
    """
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise InputError(f"{label}: unknown figures format '{suffix}'; use .yaml, .json, .csv or .xlsx.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (byte {exc.start}); save the file as UTF-8.") from exc
    try:
        return json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: line {exc.lineno}: not valid JSON ({exc.msg}).") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        raise InputError(f"{label}: {line}not valid YAML ({getattr(exc, 'problem', exc)}).") from exc


def read_table(path: Path, raw: bytes, label: Path) -> tuple[str, list[list[Any]]]:
    """The rows of a CSV file or of an .xlsx workbook's first sheet, and what a row is called.

    In an .xlsx, a merged cell's value stands in every cell it covers.

    Returns:
        ``(what, rows)``: ``"line"`` or ``"sheet 'NAME' row"``, and every row's cells, the header first.

    Raises:
        InputError: a CSV neither UTF-8 nor GB18030, or not a readable workbook.
    """
    if path.suffix.lower() == ".csv":
        return "line", list(csv.reader(io.StringIO(_decode_csv(raw, label))))
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:  # not read_only: a read-only sheet does not know its merged cells
        wb = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{label}: not a readable .xlsx workbook ({exc}).") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise InputError(f"{label}: not a readable .xlsx workbook ({type(exc).__name__}).") from exc
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:  # a merged cell's value covers every cell of its range
        value = rows[rng.min_row - 1][rng.min_col - 1]
        for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
            for c in range(rng.min_col - 1, min(rng.max_col, len(rows[r]))):
                rows[r][c] = value
    wb.close()
    return f"sheet '{ws.title}' row", rows


def read_bytes(path: Path, label: Path) -> bytes:
    """The bytes of a figures file.

    Raises:
        InputError: it cannot be read (naming ``label`` and the reason).
    """
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot read the figures file ({exc.strerror}).") from exc


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
    raw = read_bytes(path, path)
    if path.suffix.lower() in (".csv", ".xlsx"):
        what, rows = read_table(path, raw, path)
        if not rows:
            raise InputError(f"{path}: the CSV is empty." if what == "line" else f"{path}: the first sheet is empty.")
        return _load_table(rows_to_entries(rows[0], [(i, r) for i, r in enumerate(rows[1:], 2)], path), path, what)
    data = read_data(path, raw, path)
    if data is None:
        raise InputError(f"{path}: the file is empty.")
    return figures_from_data(data, path)
