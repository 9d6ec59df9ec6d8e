"""Reading one isolated numeral, Chinese or Arabic, as an exact Decimal.

:func:`parse_numeral` takes a string that is already known to be a numeral
(the quantity extractor finds it; see :mod:`drafter.guard.quantities`) and returns
its value. It reads both scripts and every written form a Chinese report uses:

- Arabic digits, full-width digits (``１２００``), thousands separators
  (``1,250``, ``９，９９９``) and decimal points (``.``, ``．``);
- Chinese numerals in either script: ``一千二百``, ``兩千``/``两千``, ``〇``/``零``,
  the financial capitals (大寫 ``壹貳叁肆伍陸柒捌玖拾佰仟``), ``廿``/``卅``,
  ``萬萬``/``万万`` (= 亿) and ``兆`` (10¹², as a section of a longer numeral);
- mixed forms: ``3.2萬``, ``13萬2``, ``1万600``, ``200亿零四千230``;
- colloquial abbreviations: a single digit after the last multiplier scales to
  the next lower place (``三万五`` = 35000, ``一百二`` = 120, ``千三`` = 1300);
- digit-by-digit readings without multipliers (``一七二零`` = 1720, ``二〇二三``);
- decimals with ``点``/``點`` (``六点五``, ``一百点123``), a trailing multiplier
  after a decimal (``4.78万亿``), signs ``负``/``負``/``-``;
- fractions ``X分之Y`` (``三分之一``; ``百分之八十`` reads as 80/100 = 0.8) and
  ``a/b`` (``1/2``).

cn2an reads most of these too, but only on an isolated numeral; run over a
sentence it turns 一是 into 1是, so Drafter never uses it on running text.
"""

from __future__ import annotations

import decimal
import functools
import unicodedata
from decimal import Decimal

from drafter.text.script import to_simplified_chars

DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}
"""Chinese digit characters (simplified script; 兩/貳/陸 fold here via t2s)."""

CAPITAL_DIGITS = frozenset("壹贰叁肆伍陆柒捌玖拾佰仟")
"""The financial capitals (大写), which also occur in ordinary words (队伍, 大陆, 收拾)."""

SMALL_POWERS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
"""Multipliers below 万 that scale the digit before them."""

BIG_POWERS: dict[str, int] = {"万": 10**4, "亿": 10**8, "兆": 10**12}
"""Section multipliers: they scale everything smaller written before them."""

TENS: dict[str, int] = {"廿": 2, "卅": 3}
"""Archaic tens: 廿 = 二十, 卅 = 三十."""

NUMERAL_CHARS = frozenset(DIGITS) | frozenset(SMALL_POWERS) | frozenset(BIG_POWERS) | frozenset(TENS)
"""Every Chinese character that can be part of a numeral."""

_KEEP = frozenset("²³¹")  # superscripts stay (m² is a unit, not m2)


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isascii() or ch in _KEEP or "\u2460" <= ch <= "\u24ff" or "\u2776" <= ch <= "\u2793" or "\u3251" <= ch <= "\u32bf":
        return ch  # ASCII; circled numbers (①) are list markers, not digits
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def fold_text(text: str) -> str:
    """Normalise text for reading numbers, keeping every character offset.

    Each character is NFKC-folded when that gives one character (full-width
    digits, ％, ．, ～ and the full-width comma become ASCII), except circled
    numbers and superscripts; then traditional characters are converted one by
    one to simplified (萬→万, 兩→两, 點→点, 個→个) with
    :func:`drafter.text.script.to_simplified_chars`.

    Args:
        text: any text.

    Returns:
        A string of exactly ``len(text)`` characters; offsets into it are
        offsets into ``text``.
    """
    if not text:
        return text
    table = {ord(c): f for c in set(text) if (f := _fold_char(c)) != c}
    folded = text.translate(table) if table else text
    simplified = to_simplified_chars(folded)
    return simplified if len(simplified) == len(text) else folded


def _context() -> decimal.Context:
    return decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)


def clean_decimal(value: Decimal) -> Decimal:
    """The same value without trailing zeros and without an exponent (``12.0`` → ``12``, ``1E+3`` → ``1000``)."""
    with decimal.localcontext(_context()):
        value = value.normalize()
        if value.as_tuple().exponent > 0:  # type: ignore[operator]
            value = value.quantize(Decimal(1))
        return value


def _arabic(text: str) -> int:
    if "," in text:
        head, *groups = text.split(",")
        if not (1 <= len(head) <= 3 and all(len(g) == 3 for g in groups)):
            raise ValueError(f"misplaced thousands separator in {text!r}")
        text = head + "".join(groups)
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"not digits: {text!r}")
    return int(text)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Split an integer numeral into (kind, value, width) tokens.

    kinds: ``d`` digit or Arabic literal (width = characters), ``z`` zero
    marker, ``p`` small power, ``P`` big power.
    """
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isascii() and ch.isdigit():
            j = i
            while j < len(text) and (text[j].isascii() and text[j].isdigit() or text[j] == ","):
                j += 1
            lit = text[i:j]
            out.append(("d", _arabic(lit), len(lit.replace(",", ""))))
            i = j
            continue
        if ch in "零〇":
            out.append(("z", 0, 1))
        elif ch in DIGITS:
            out.append(("d", DIGITS[ch], 1))
        elif ch in TENS:
            out.extend((("d", TENS[ch], 1), ("p", 10, 1)))
        elif ch in SMALL_POWERS:
            out.append(("p", SMALL_POWERS[ch], 1))
        elif ch in BIG_POWERS:
            out.append(("P", BIG_POWERS[ch], 1))
        else:
            raise ValueError(f"not a numeral character: {ch!r}")
        i += 1
    return out


def _digit_by_digit(tokens: list[tuple[str, int, int]], text: str) -> int:
    digits = []
    for kind, value, width in tokens:
        if kind == "z":
            digits.append("0")
        elif kind == "d":
            digits.append(str(value).zfill(width) if width > 1 else str(value))
        else:  # pragma: no cover - caller checks
            raise ValueError(text)
    return int("".join(digits))


def parse_integer(text: str) -> int:
    """Value of an integer numeral (no sign, no decimal point).

    Rules (standard Chinese numeral grammar, with the colloquial forms cn2an's
    "normal" and "smart" modes accept):

    - without any multiplier the characters are read digit by digit
      (``一七二零`` = 1720, ``二〇〇二`` = 2002, ``1234`` = 1234);
    - a small power (十百千) scales the digit before it, or 1 when there is none
      (``十一`` = 11, ``一千零十`` = 1010);
    - a big power (万亿兆) scales everything smaller before it; two in a row
      multiply (``万万`` = 亿, ``万亿`` = 10¹²);
    - a single digit after the last multiplier, with no 零 between, takes the
      next lower place (``三万五`` = 35000, ``一百二`` = 120, ``13万2`` = 132000);
      an Arabic literal of several digits is added as written (``1万600`` = 10600).

    Args:
        text: the numeral, already folded (see :func:`fold_text`).

    Returns:
        The integer value.

    Raises:
        ValueError: not a well-formed numeral (two digits in a row before a
            multiplier, a lone multiplier such as ``万``, stray characters).
    """
    tokens = _tokens(text)
    if not tokens:
        raise ValueError("empty numeral")
    if not any(kind in "pP" for kind, _, _ in tokens):
        return _digit_by_digit(tokens, text)
    acc: list[list[int]] = []  # [value, scale] per big section
    section = 0
    num: int | None = None
    num_width = 0
    last_power = 0
    zero_seen = False
    prev_big = False
    for kind, value, width in tokens:
        if kind == "d":
            if num is not None:
                raise ValueError(f"two numbers in a row in {text!r}")
            num, num_width, prev_big = value, width, False
        elif kind == "z":
            if num is not None:
                raise ValueError(f"misplaced 零 in {text!r}")
            zero_seen = True
        elif kind == "p":
            section += (1 if num is None else num) * value
            num, last_power, zero_seen, prev_big = None, value, False, False
        else:
            part = section + (num or 0)
            if part == 0 and prev_big and acc:
                acc[-1] = [acc[-1][0] * value, acc[-1][1] * value]
            else:
                if num is None and section == 0 and not acc:
                    raise ValueError(f"a multiplier without a number in {text!r}")
                lower = sum(v for v, scale in acc if scale <= value)
                acc = [e for e in acc if e[1] > value]
                acc.append([(lower + part) * value, value])
            section, num, last_power, zero_seen, prev_big = 0, None, value, False, True
    if num is not None:
        if not zero_seen and last_power >= 100 and num_width == 1:
            num = num * last_power // 10
        section += num
    return sum(v for v, _ in acc) + section


def _fraction_digits(text: str) -> tuple[str, int]:
    """Split ``五七万`` into ("57", 10**4): the digits after a point and a trailing multiplier."""
    i = 0
    digits = []
    while i < len(text) and (text[i].isdigit() and text[i].isascii() or text[i] in DIGITS):
        ch = text[i]
        digits.append(ch if ch.isascii() else str(DIGITS[ch]))
        i += 1
    scale = 1
    for ch in text[i:]:
        if ch in BIG_POWERS:
            scale *= BIG_POWERS[ch]
        elif ch in SMALL_POWERS:
            scale *= SMALL_POWERS[ch]
        else:
            raise ValueError(f"not a decimal numeral: {text!r}")
    if not digits:
        raise ValueError("no digits after the decimal point")
    return "".join(digits), scale


def parse_numeral(text: str) -> Decimal:
    """Parse one isolated numeral (Chinese, Arabic or mixed) to an exact Decimal.

    Args:
        text: the numeral alone, in either script, e.g. ``"一千二百"``,
            ``"兩千六"``, ``"壹佰萬零伍拾肆"``, ``"3.2萬"``, ``"１，２５０"``,
            ``"负零点一"``, ``"三分之一"``, ``"百分之六點五"`` (= 0.065).
            Surrounding whitespace is ignored; units are not accepted.

    Returns:
        The value, exact for everything but non-terminating fractions
        (``三分之一`` is computed to 28 significant digits), without
        trailing zeros (``十二点零`` → ``12``).

    Raises:
        ValueError: ``text`` is not a numeral.
    """
    return parse_folded(fold_text(text.strip()).replace("−", "-"))


@functools.lru_cache(maxsize=8192)
def parse_folded(s: str) -> Decimal:
    """:func:`parse_numeral` for text already folded by :func:`fold_text` (cached)."""
    if not s:
        raise ValueError("empty numeral")
    if "分之" in s:
        den_text, _, num_text = s.partition("分之")
        den = parse_folded(den_text)
        num = parse_folded(num_text)
        if den == 0:
            raise ValueError("fraction with denominator 0")
        with decimal.localcontext(decimal.Context(prec=28)):
            return clean_decimal(num / den)
    if "/" in s:
        a, _, b = s.partition("/")
        a, b = a.strip(), b.strip()
        if not (a.isascii() and a.isdigit() and b.isascii() and b.isdigit()) or int(b) == 0:
            raise ValueError(f"not a fraction: {s!r}")
        with decimal.localcontext(decimal.Context(prec=28)):
            return clean_decimal(Decimal(int(a)) / Decimal(int(b)))
    sign = 1
    if s[0] in "负-":
        sign, s = -1, s[1:].lstrip()
    if not s:
        raise ValueError("a sign without a number")
    point = next((i for i, ch in enumerate(s) if ch in ".点"), -1)
    with decimal.localcontext(_context()):
        if point < 0:
            value = Decimal(parse_integer(s))
        else:
            int_part = s[:point]
            digits, scale = _fraction_digits(s[point + 1 :])
            whole = Decimal(parse_integer(int_part)) if int_part else Decimal(0)
            value = (whole + Decimal("0." + digits)) * scale
        return clean_decimal(sign * value)


def is_capital(text: str) -> bool:
    """True when the numeral uses the financial capitals (大写), e.g. ``壹佰``."""
    return any(ch in CAPITAL_DIGITS for ch in fold_text(text))
