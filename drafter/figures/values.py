"""One figure value as a user writes it: digits, a unit, a range or an approximation (``4.5公里``, ``2至3``, ``500余``)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from drafter.errors import InputError

__all__ = ["parse_value", "range_high"]

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d+)?|\.\d+)")
_SPAN_RE = re.compile(
    r"^(?P<pre>约|近|将近|接近|超过|逾|超)?\s*(?P<low>\d+(?:\.\d+)?)\s*(?P<mid>多|余)?"
    r"(?:\s*(?:-|~|～|—|–|至|到)\s*(?P<high>\d+(?:\.\d+)?)\s*(?P<mid2>多|余)?)?\s*(?P<post>以上|以下|左右|多|余)?"
)
_HIGH_RE = re.compile(r"(?:-|~|～|—|–|至|到)\s*(\d+(?:\.\d+)?)")
_EXPONENT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+")
"""A value in exponent notation (``1e400``, ``1.5E3``): refused, not read as a unit ``e400``."""


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
