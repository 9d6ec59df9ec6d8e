"""When a draft quantity *is* a figure: the one equality rule of the guard and of eval precision.

A quantity states a figure when three things agree, compared as keys
(:func:`quantity_key`, :func:`figure_keys`):

- **the value**, after the number's own multipliers are applied (2.5万 is 25000:
  GB/T 15835-2011 《出版物上数字用法》 writes large numbers with 万 and 亿 after
  Arabic digits, as part of the number) and converted to the unit's base: ``2.5万头`` = ``25000头``,
  ``1.49亿元`` = ``14900万元``, ``12.6公里`` = ``12.6千米``
  (:func:`drafter.guard.units.canonical`, with the conversions of
  ``drafter/data/units.yaml``);
- **the base unit**, folded (traditional and full-width forms alike: 萬元 = 万元,
  ％ = %), so that 240万元 is not 240万人;
- **the upper end of a range** (2-3户 is not 2户), in the same base unit.

A rank (位居全县第二位) is its own kind of key (the ordinal; unit ``"rank"``): it
states a figure counted in 位 or 名 and nothing else.

Approximation marks (约, 近, 余, 以上 …) do not take part by default: 约30万元 for
a figure of 30万元 is the figure, written loosely, and the guard says nothing.
``approximation=True`` makes them part of the key (the marks as written must be
the same): eval precision counts only quantities written exactly as the figure,
and the guard uses it for thresholds written in a figure's name (30万元以上).
"""

from __future__ import annotations

from decimal import Decimal

from drafter.figures import Figure
from drafter.guard.numerals import fold_text
from drafter.guard.quantities import Quantity, extract_quantities
from drafter.guard.units import canonical

__all__ = ["Key", "RANK", "amount_key", "figure_keys", "quantity_key"]

Key = tuple
"""``(value in the base unit, base unit, range end in the base unit or None)``, plus the
approximation marks (``str``) when asked for."""
RANK = "rank"
"""The unit of a rank's key."""
_RANK_UNITS = ("位", "名")


def amount_key(value: Decimal, unit: str, high: Decimal | None = None) -> Key:
    """The key of an amount: ``(value, base unit, high)`` in the base unit (see module doc).

    Args:
        value: the number with its multipliers applied (25000 for 2.5万).
        unit: the unit as written (``公里``, ``萬元``, ``""``).
        high: the upper end of a range, or None.
    """
    v, base = canonical(value, unit)
    h = canonical(high, unit)[0].normalize() if high is not None else None
    return v.normalize(), base, h


def quantity_key(q: Quantity, *, approximation: bool = False) -> Key | None:
    """The key of a quantity read from a draft, or None for a placeholder (no value).

    Args:
        q: an amount (:func:`drafter.guard.quantities.extract_quantities`) or a rank
            (:func:`drafter.guard.ranks.extract_ranks`).
        approximation: add the quantity's approximation marks (``""`` when exact) to the key.
    """
    if q.value is None:
        return None
    key = (q.value.normalize(), RANK, None) if q.rank else amount_key(q.value, q.unit, q.high)
    return (*key, q.approximate) if approximation else key


def figure_keys(f: Figure, *, approximation: bool = False) -> set[Key]:
    """The keys a quantity may have to state figure ``f``: its amount, and its rank when it is
    counted in 位/名 without a range (第二位 states a figure of 2位).

    Args:
        f: the figure; its ``value``, ``unit`` and ``high`` give the amount.
        approximation: add the figure's approximation marks, as its value is written
            (``约30`` gives 约; read from :meth:`drafter.figures.Figure.render`), to each key.
    """
    keys = {amount_key(f.value, f.unit, f.high)}
    if fold_text(f.unit) in _RANK_UNITS and f.high is None:
        keys.add((f.value.normalize(), RANK, None))
    if not approximation:
        return keys
    written = extract_quantities(f.render())
    marks = written[0].approximate if written else ""
    return {(*k, marks) for k in keys}
