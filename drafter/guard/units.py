"""Units, measure words and fixed phrases: the lexicons of the number guard.

The word lists live in data files so they can grow without code changes:

- ``drafter/data/units.yaml``: units of measurement by kind, count measure
  words (量词), the measure words that make a lone 一 an article (一个, 一批),
  date and clock suffixes, look-alike words (一元化, 十一期间), and the unit
  equivalences the checker uses;
- ``drafter/data/fixed_phrases.txt``: set phrases holding numeral characters
  but no quantity (两不愁三保障, 十四五, 四好农村路, 千方百计, 五台山).

Both are loaded once, lazily, through :mod:`importlib.resources`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import yaml

from drafter.guard.numerals import BIG_POWERS, SMALL_POWERS, fold_text
from drafter.data import read_text
from drafter.text.textutil import HAN

MEASURE_KINDS = (
    "money", "length", "area", "volume", "mass", "duration", "ratio",
    "energy", "temperature", "data", "points", "count_unit",
)
"""Sections of ``measures`` in units.yaml."""

"""One CJK ideograph (the basic and extension-A blocks, compatibility ideographs)."""


@dataclass(frozen=True)
class Lexicon:
    """Everything the extractor and checker read from the data files.

    Attributes:
        kinds: folded unit -> kind (a :data:`MEASURE_KINDS` entry,
            ``"classifier"`` or ``"time_point"``).
        by_first: first character (lower-cased) -> units starting with it, longest first.
        article_like: measure words that make a lone 一 an article.
        tiers: measure words that make a Chinese numeral a tier (三级).
        arabic_only: units read only after Arabic digits.
        loose_units: units that must end a word (九分场 is a name, 95分 a score).
        not_units: look-alike words starting with a unit (一元化 → 元化).
        lookalikes: unit -> the ``not_units`` words that start with it.
        bare_follow: what may follow a number without a unit, longest first.
        point_counts: nouns after which 点 counts points (五点建议), not hours.
        equivalents: unit -> (base unit, factor) for the checker.
        fixed_phrases: set phrases with numerals but no quantity (folded).
    """

    kinds: dict[str, str]
    by_first: dict[str, tuple[str, ...]]
    article_like: frozenset[str]
    tiers: frozenset[str]
    arabic_only: frozenset[str]
    loose_units: frozenset[str]
    not_units: tuple[str, ...]
    lookalikes: dict[str, tuple[str, ...]]
    bare_follow: tuple[str, ...]
    point_counts: tuple[str, ...]
    equivalents: dict[str, tuple[str, Decimal]]
    fixed_phrases: tuple[str, ...]

    @functools.cached_property
    def fixed_re(self) -> re.Pattern[str]:
        """One regex matching any fixed phrase (longest first)."""
        phrases = sorted(self.fixed_phrases, key=len, reverse=True)
        if not phrases:
            return re.compile(r"(?!)")
        first = "".join(sorted({re.escape(p[0]) for p in phrases}))
        return re.compile(f"(?=[{first}])(?:" + "|".join(map(re.escape, phrases)) + ")")


def _read(name: str) -> str:
    return read_text(name)


def _folded(words: object, where: str) -> list[str]:
    if not isinstance(words, list):
        raise ValueError(f"units.yaml: '{where}' must be a list")
    return [fold_text(str(w)).strip() for w in words if str(w).strip()]


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load the lexicons (cached).

    Raises:
        ValueError: a data file is malformed (a packaging bug, not user input).
    """
    data = yaml.safe_load(_read("units.yaml"))
    kinds: dict[str, str] = {}
    for kind in MEASURE_KINDS:
        for unit in _folded(data["measures"].get(kind, []), f"measures.{kind}"):
            kinds.setdefault(unit, kind)
    for unit in _folded(data["classifiers"], "classifiers"):
        kinds.setdefault(unit, "classifier")
    for unit in _folded(data["time_points"], "time_points"):
        kinds.setdefault(unit, "time_point")
    by_first: dict[str, list[str]] = {}
    for unit in kinds:
        by_first.setdefault(unit[0].lower(), []).append(unit)
    equivalents = {
        fold_text(str(k)): (fold_text(str(v[0])), Decimal(str(v[1])))
        for k, v in (data.get("equivalents") or {}).items()
    }
    phrases = []
    for line in _read("fixed_phrases.txt").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            phrases.append(fold_text(line))
    not_units = tuple(sorted(_folded(data["not_units"], "not_units"), key=len, reverse=True))
    lookalikes = {u: tuple(w for w in not_units if len(w) > len(u) and w.startswith(u)) for u in kinds}
    return Lexicon(
        kinds=kinds,
        by_first={k: tuple(sorted(v, key=len, reverse=True)) for k, v in by_first.items()},
        article_like=frozenset(_folded(data["article_like"], "article_like")),
        tiers=frozenset(_folded(data["tiers"], "tiers")),
        arabic_only=frozenset(_folded(data["arabic_only"], "arabic_only")),
        loose_units=frozenset(_folded(data.get("loose_units", []), "loose_units")),
        not_units=not_units,
        lookalikes={u: words for u, words in lookalikes.items() if words},
        bare_follow=tuple(sorted(_folded(data["bare_follow"], "bare_follow"), key=len, reverse=True)),
        point_counts=tuple(_folded(data.get("point_counts", []), "point_counts")),
        equivalents=equivalents,
        fixed_phrases=tuple(phrases),
    )


def match_unit(norm: str, pos: int, arabic: bool = True) -> str | None:
    """The longest unit or measure word starting at ``norm[pos]``.

    Args:
        norm: folded text (see :func:`drafter.guard.numerals.fold_text`).
        pos: where the unit would start (right after the number).
        arabic: whether the number before it is written in Arabic digits
            (units listed under ``arabic_only`` need them).

    Returns:
        The unit as it appears in ``norm`` (ASCII case kept), or None when no
        unit starts there or the match is the start of a look-alike word
        (``元化`` in 一元化, ``期间`` in 十一期间).
    """
    if pos >= len(norm):
        return None
    lex = lexicon()
    for unit in lex.by_first.get(norm[pos].lower(), ()):
        found = norm[pos : pos + len(unit)]
        if found != unit and not (unit.isascii() and len(unit) > 1 and found.lower() == unit.lower()):
            continue  # single-letter units keep their case: 5 g, but 5G is an identifier
        after = pos + len(unit)
        if unit.isascii() and after < len(norm) and norm[after].isascii() and norm[after].isalnum():
            continue  # 5G, 3D: an identifier, not m or g
        if unit in lex.arabic_only and not arabic:
            continue
        if any(norm.startswith(w, pos) for w in lex.lookalikes.get(unit, ())):
            return None
        if unit in lex.loose_units and after < len(norm) and HAN.match(norm[after]):
            if not any(norm.startswith(w, after) for w in lex.bare_follow):
                return None
        return found
    return None


def fold_unit(unit: str) -> str:
    """A unit as reported: each character NFKC-folded when that keeps it one character
    (％ → %, ＣＭ → CM; ℃ stays), script untouched (個百分點 stays)."""
    out = []
    for c in unit:
        folded = unicodedata.normalize("NFKC", c)
        out.append(folded if len(folded) == 1 else c)
    return "".join(out)


def unit_kind(unit: str) -> str:
    """Kind of a unit: a measure kind, ``"classifier"``, ``"time_point"`` or ``""`` when unknown."""
    kinds = lexicon().kinds
    if unit in kinds:
        return kinds[unit]
    folded = fold_text(unit)
    return kinds.get(folded) or kinds.get(folded.lower(), "")


def is_measure(unit: str) -> bool:
    """True for units of measurement (money, length, %, ...), false for count words."""
    return unit_kind(unit) in MEASURE_KINDS


_POWER_CHARS = {**SMALL_POWERS, **BIG_POWERS}


def _base(unit: str) -> tuple[str, Decimal] | None:
    lex = lexicon()
    if unit in lex.equivalents:
        return lex.equivalents[unit]
    for key, val in lex.equivalents.items():
        if key.isascii() and key.lower() == unit.lower():
            return val
    if unit in lex.kinds or not unit:
        return unit, Decimal(1)
    return None


def canonical(value: Decimal, unit: str) -> tuple[Decimal, str]:
    """The value in a base unit, so that equal amounts compare equal.

    ``2.5万头`` and ``25000头``, ``1.49亿元`` and ``14900万元``, ``12.6公里`` and
    ``12.6千米`` all give the same pair. Rules, in order:

    - the unit is folded (NFKC, character-level t2s): 萬元 = 万元, ％ = %;
    - a compound ``a/b`` (元/亩) converts each side;
    - a unit listed under ``equivalents`` in units.yaml converts to its base
      (公里 → 1000 米, 块 → 元, 百分点 → 个百分点);
    - otherwise leading multipliers are taken off (万元 → 10⁴ 元, 万人次 →
      10⁴ 人次) when what is left is a known unit;
    - any other unit is its own base.

    Args:
        value: the number, with 万/亿 in the number already applied.
        unit: the unit as written.

    Returns:
        ``(value in the base unit, base unit)``.
    """
    u = fold_text(unit).strip()
    if "/" in u and u not in lexicon().equivalents:
        top, _, bottom = u.partition("/")
        v1, b1 = canonical(value, top)
        v2, b2 = canonical(Decimal(1), bottom)
        return v1 / v2, f"{b1}/{b2}"
    factor = Decimal(1)
    rest = u
    while True:
        base = _base(rest)
        if base is not None:
            return value * factor * base[1], base[0]
        if len(rest) > 1 and rest[0] in _POWER_CHARS:
            factor *= _POWER_CHARS[rest[0]]
            rest = rest[1:]
            continue
        return value, u
