"""Every row of a figures table with its error, not only up to the first bad one (the page's figures table).

The rows are checked by the loader's own code (:mod:`drafter.figures.loading`),
so that a row's error reads as :func:`~drafter.figures.loading.load_figures` words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafter.errors import InputError
from drafter.figures.loading import check_header, figure_from_entry, read_bytes, read_data, read_table, rows_to_entries

__all__ = ["FigureRow", "check_rows", "read_figure_rows"]


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
            figure_from_entry(clean, w, seen)
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
    raw = read_bytes(path, label)
    if suffix in (".csv", ".xlsx"):
        what, rows = read_table(path, raw, label)
        if not rows:
            raise InputError(f"{label}: the table is empty.")
        entries = rows_to_entries(rows[0], [(i, r) for i, r in enumerate(rows[1:], 2)], label)
        where = [f"{label}: {what} {e.pop('_line')}" for e in entries]
        return {}, check_rows(entries, where)
    data = read_data(path, raw, label)
    header: dict[str, Any] = {}
    if isinstance(data, dict):
        check_header(data, label)
        header = {k: v for k, v in data.items() if k != "figures"}
        data = data.get("figures") or []
    if not isinstance(data, list):
        raise InputError(f"{label}: 'figures' must be a list.")
    return header, check_rows(data, [f"{label}: figure #{i}" for i in range(1, len(data) + 1)])
