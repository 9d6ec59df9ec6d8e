"""Reading one number at a position of folded report text: digits, multiplier, marks, unit.

The low-level half of :func:`drafter.guard.quantities.extract_quantities`: a
:class:`NumberReader` reads what stands at one offset (a numeral run, 万/亿,
approximation marks, the unit, 角/分 after 元, 半, ``(含)``, 以上/左右) and
returns an internal :class:`Reading`. Deciding whether that is a quantity of the
report, and joining ranges, is the scanner's job in :mod:`drafter.guard.quantities`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from drafter.guard.numerals import BIG_POWERS, CAPITAL_DIGITS, DIGITS, NUMERAL_CHARS, SMALL_POWERS, clean_decimal, parse_folded
from drafter.guard.units import lexicon, match_unit, unit_kind
from drafter.text.textutil import HAN

_CN_DIGITS = "".join(DIGITS)
NUM_CHARS = "0-9" + "".join(sorted(NUMERAL_CHARS))
RUN = re.compile(rf"[{NUM_CHARS}](?:[{NUM_CHARS}]|,(?=\d{{3}}(?!\d))|\.(?=\d)|点(?=[0-9{_CN_DIGITS}]))*")
_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9.])[0-9]*(?:[xX]+|×{2,})[0-9xX]*(?:\.[0-9xX]+)?(?![A-Za-z])")
_POWERS = "十百千万亿"
_PAIR = re.compile(rf"([一二两三四五六七八九])([二两三四五六七八九])([{_POWERS}]*)")
_X = re.compile("[xX×]")
_X_TIMES = re.compile(r"[xX×]\d|\d[xX×]")
_SLASH = re.compile(r"/(\d+)(?![\d/])")
_MULT = re.compile(rf"\s*([{_POWERS}]+)")
_INCL = re.compile(r"\s*\((?:含|不含)\)")
_SUFFIXES = ("以上", "以下", "左右", "上下", "以内", "之内", "开外", "出头")
_SUBUNIT = re.compile(rf"零?([0-9]+|[{_CN_DIGITS}])([角毛])(?:零?([0-9]+|[{_CN_DIGITS}])分(?!之))?|零?([0-9]+|[{_CN_DIGITS}])分(?!之)")
_CLOCK_TAIL = re.compile(rf"\s*(?:[0-9{_CN_DIGITS}十]+分(?:[0-9{_CN_DIGITS}十]+秒)?|半|整|许)?")
HALF_KINDS = ("mass", "length", "area", "volume")
_HALF_TIME = re.compile(r"个半(月|小时|星期|钟头|工作日)")
_BETWEEN = re.compile(rf"[0-9{NUM_CHARS[3:]}]\s*(?:与|和|及|到|至)\s*$")


@dataclass
class Reading:
    """What stands at one offset, before the scanner decides whether it is a quantity.

    Attributes:
        start, end: span in the text (grows as marks and the unit are read).
        value: the number with its multipliers applied; None for a placeholder.
        run: the numeral characters as folded (``2.5万``, ``一千二百``).
        shape: ``arabic``, ``mixed``, ``single`` (one Chinese digit), ``power``
            (十, 百 … without a digit), ``digits`` (read one by one, 一二三),
            ``decimal`` (with 点) or ``structured`` (一百七, ranges, fractions).
        numerals: ``arabic``, ``chinese`` or ``mixed``.
        base, scale: the run split into number and trailing multiplier
            (三十万 → 30, 10⁴), to carry a multiplier across a range.
        unit, unit_span: the unit in the folded text and its span ('' / (-1, -1)).
        unit_override: the unit to report when it is not written (元 for 角/分,
            % for 百分之, 个月 for 两个半月).
        approx: approximation marks in reading order.
        high: the upper end of an adjacent-digit range (两三个).
        time: a date, year or clock time: never a quantity.
        placeholder: a template placeholder (xx, x.xx).
        adjacent: an adjacent-digit range (两三个, 四五千).
    """

    start: int
    end: int
    value: Decimal | None
    run: str = ""
    shape: str = "arabic"
    numerals: str = "arabic"
    base: Decimal = Decimal(1)
    scale: Decimal = Decimal(1)
    unit: str = ""
    unit_span: tuple[int, int] = (-1, -1)
    unit_override: str = ""
    approx: list[str] = field(default_factory=list)
    high: Decimal | None = None
    time: bool = False
    placeholder: bool = False
    adjacent: bool = False


def _shape(run: str) -> tuple[str, str]:
    """(shape, numerals) of a numeral run."""
    arabic = any(c.isdigit() and c.isascii() for c in run)
    chinese_digits = any(c in DIGITS or c in "廿卅" for c in run)
    numerals = "mixed" if arabic and chinese_digits else ("arabic" if arabic else "chinese")
    if arabic:
        return ("arabic" if not chinese_digits else "mixed"), numerals
    if "点" in run:
        return "decimal", numerals
    if len(run) == 1 and run in DIGITS:
        return "single", numerals
    if all(c in SMALL_POWERS or c in BIG_POWERS for c in run):
        return "power", numerals
    if not any(c in SMALL_POWERS or c in BIG_POWERS for c in run):
        return "digits", numerals
    return "structured", numerals


class NumberReader:
    """Reads numbers in one folded text (see :func:`drafter.guard.numerals.fold_text`)."""

    def __init__(self, norm: str) -> None:
        self.norm = norm
        self.n = len(norm)
        self.lex = lexicon()

    # -- reading one number ------------------------------------------------
    def _read(self, s: int) -> Reading | None:
        """Read the number at ``s`` with its multiplier, unit and marks (no sign, no range).

        Returns None when no number starts at ``s``; a Reading with ``time``
        set for a date, year or clock time.
        """
        norm = self.norm
        if norm.startswith("零下", s) and s + 2 < self.n and RUN.match(norm, s + 2):
            q = self._read(s + 2)
            if q and q.value is not None:
                q.start, q.value = s, -q.value
            return q
        ph = _PLACEHOLDER.match(norm, s)
        if ph and _is_placeholder(ph.group()):
            return self._after_number(Reading(s, ph.end(), None, run=ph.group(), placeholder=True))
        m = RUN.match(norm, s)
        if not m:
            return None
        run, e = m.group(), m.end()
        # a power that starts a unit (12千米, 一百千瓦, 2百分点, 五十兆字节) is not a multiplier
        for k in (2, 1):
            if len(run) > k and all(c in _POWERS + "兆" for c in run[-k:]):
                unit = match_unit(norm, e - k)
                if unit and len(unit) > k:
                    run, e = run[:-k], e - k
                    break
        pair = _PAIR.fullmatch(run)
        if pair and self._adjacent(pair.group(1), pair.group(2)):
            unit_at = e
            while unit_at < self.n and norm[unit_at] == " ":
                unit_at += 1
            if pair.group(3) or match_unit(norm, unit_at, arabic=False):
                scale = parse_folded("一" + pair.group(3)) if pair.group(3) else Decimal(1)
                q = Reading(s, e, DIGITS[pair.group(1)] * scale, run=run, shape="structured", numerals="chinese", adjacent=True)
                q.high = DIGITS[pair.group(2)] * scale
                return self._after_number(q)
        if len(run) > 1 and run[-1] == "两" and run[-2] in NUMERAL_CHARS | set("0123456789"):
            run, e = run[:-1], e - 1  # 二两, 两万两: the last 两 is the unit liang
        if norm.startswith("分之", e):
            return self._fraction(s, run, e)
        try:
            value = parse_folded(run)
        except ValueError:
            return None
        shape, numerals = _shape(run)
        if shape == "power" and len(run) > 1 and not run.startswith(("十", "拾")):
            return None  # 万万, 千万 (as in 千万要…): no number
        if norm.startswith("/", e) and shape == "arabic" and run.isdigit():
            frac = _SLASH.match(norm, e)
            if frac and int(frac.group(1)):
                q = Reading(s, frac.end(), clean_decimal(value / int(frac.group(1))), run=run + frac.group())
                self._suffix(q)
                return q
        base, scale = _split_scale(run, value)
        q = Reading(s, e, value, run=run, shape=shape, numerals=numerals, base=base, scale=scale)
        return self._after_number(q)

    @staticmethod
    def _adjacent(a: str, b: str) -> bool:
        x, y = DIGITS[a], DIGITS[b]
        return y == x + 1 or (a, b) in (("一", "两"), ("三", "五"))

    def _fraction(self, s: int, den_text: str, e: int) -> Reading | None:
        norm = self.norm
        k = e + 2
        sign = ""
        if k < self.n and norm[k] in "负-":
            sign, k = "-", k + 1
        m = RUN.match(norm, k)
        if not m:
            return None
        try:
            den = parse_folded(den_text)
            num = parse_folded(sign + m.group())
        except ValueError:
            return None
        if den == 0:
            return None
        shape, numerals = _shape(m.group())
        q = Reading(s, m.end(), num, run=m.group(), shape="structured", numerals=numerals)
        if den in (100, 1000) and den_text in ("百", "千", "一百", "一千"):
            q.unit_override = "%" if den == 100 else "‰"
        else:
            q.value = clean_decimal(num / den)
        self._suffix(q)
        return q

    def _after_number(self, q: Reading) -> Reading:
        """Multipliers, approximation marks, unit and suffixes after the digits (十多万, 两个亿, 15k元, 1 万)."""
        norm, k = self.norm, q.end
        scale0 = q.scale
        for _ in range(2):
            if k + 1 < self.n and norm[k] == " " and norm[k + 1] in "多余" and q.shape != "power":
                k += 1  # 20 多 万方: text taken from a PDF puts spaces between the characters
            if k < self.n and norm[k] in "多余来几" and (q.shape != "power" or norm[k] in "多余"):
                nxt = norm[k + 1] if k + 1 < self.n else ""
                if norm[k] in "来几" and not (match_unit(norm, k + 1, arabic=False) or nxt in _POWERS):
                    break
                q.approx.append(norm[k])
                k += 1
            m = _MULT.match(norm, k)
            if m and (q.approx or norm[k] == " " or q.placeholder) and not match_unit(norm, m.start(1)):
                q.scale *= parse_folded("一" + m.group(1)) if m.group(1)[0] not in "十" else parse_folded(m.group(1))
                k = m.end()
            elif norm.startswith("个", k) and k + 1 < self.n and norm[k + 1] in "万亿":
                q.scale *= BIG_POWERS[norm[k + 1]]
                k += 2
            elif k < self.n and norm[k] in "kK" and not match_unit(norm, k) and q.shape == "arabic":
                q.scale *= 1000
                k += 1
            else:
                break
        if q.value is not None and q.scale != scale0:
            q.value = q.value * q.scale / scale0
        q.end = k
        m = _INCL.match(norm, k)
        if m:
            k = m.end()
        j = k
        while j < self.n and norm[j] == " ":
            j += 1
        capital = any(c in CAPITAL_DIGITS for c in q.run)
        unit = None
        if j < self.n and norm[j] in "角毛分" and (capital or norm[j] != "分" and q.numerals != "chinese"):
            self._subunit_only(q)
        else:
            unit = match_unit(norm, j, arabic=q.numerals != "chinese")
        if unit == "间" and _BETWEEN.search(norm, max(0, q.start - 16), q.start):
            unit = None  # 10000与20000间: "between", not rooms
        if unit == "个" and _HALF_TIME.match(norm, j) and q.value is not None:
            m = _HALF_TIME.match(norm, j)  # 两个半月: 2.5 个月
            q.value += Decimal("0.5")
            q.unit, q.unit_override, q.end = "个" + m.group(1), "个" + m.group(1), m.end()
        elif unit:
            q.unit, q.unit_span = unit, (j, j + len(unit))
            q.end = j + len(unit)
            self._unit_tail(q)
        if unit and unit_kind(unit) == "time_point" and any(norm.startswith(w, q.end) for w in self.lex.point_counts):
            pass  # 提五点建议, 三点要求: points of a list, not a clock time
        elif unit and unit_kind(unit) == "time_point" or unit in ("年", "级", "届") and self._is_year(q):
            q.time = True
            q.end = _CLOCK_TAIL.match(norm, q.end).end() if unit in ("点", "时", "点钟", "时许", "许时") else q.end
            if norm.startswith("度", q.end):
                q.end += 1
            return q
        self._suffix(q)
        return q

    def _is_year(self, q: Reading) -> bool:
        if q.placeholder:
            return True
        if q.scale != 1 or q.approx:
            return False
        if q.shape == "arabic":
            return q.run.isdigit() and len(q.run) == 4 and q.run[0] in "12"
        return q.shape == "digits" and len(q.run) >= 2

    def _unit_tail(self, q: Reading) -> None:
        """元 then 角/分, 块钱, 元整; 一吨半; compound units (元/亩)."""
        norm, k = self.norm, q.end
        if q.unit in ("元", "圆", "块") and q.value is not None:
            m = _SUBUNIT.match(norm, k)
            if m:
                jiao = m.group(1)
                fen = m.group(3) if jiao else m.group(4)
                if jiao:
                    q.value += parse_folded(jiao) / 10
                if fen:
                    q.value += parse_folded(fen) / 100
                k = m.end()
            if norm.startswith("钱", k):
                k += 1
            if k < self.n and norm[k] in "整正":
                k += 1
        elif k < self.n and norm[k] == "半" and q.value is not None and q.scale == 1:
            after = norm[k + 1] if k + 1 < self.n else ""
            if unit_kind(q.unit) in HALF_KINDS + ("ratio", "duration") and (not HAN.match(after) or after in "的左以多"):
                q.value += Decimal("0.5")
                k += 1
        elif k + 1 < self.n and norm[k] == "/":
            unit2 = match_unit(norm, k + 1)
            if unit2:
                q.unit += "/" + unit2
                q.unit_span = (q.unit_span[0], k + 1 + len(unit2))
                k += 1 + len(unit2)
        q.end = k

    def _subunit_only(self, q: Reading) -> None:
        """肆角叁分, 壹分: an amount in 角/分 alone, converted to 元."""
        m = _SUBUNIT.match(self.norm, q.start)
        if not m or q.value is None:
            return
        jiao = m.group(1)
        fen = m.group(3) if jiao else m.group(4)
        q.value = (parse_folded(jiao) / 10 if jiao else Decimal(0)) + (parse_folded(fen) / 100 if fen else Decimal(0))
        q.unit_override, q.end = "元", m.end()
        if self.norm.startswith("钱", q.end):
            q.end += 1

    def _suffix(self, q: Reading) -> None:
        norm, k = self.norm, q.end
        m = _INCL.match(norm, k)
        if m:
            k = m.end()
        for word in ("或者以上",) + _SUFFIXES:
            if norm.startswith(word, k):
                q.approx.append(word[-2:])
                q.end = k + len(word)
                return
        if m and q.unit:
            q.end = k


def _split_scale(run: str, value: Decimal) -> tuple[Decimal, Decimal]:
    """(number, multiplier) of a run: 三十万 → (30, 10⁴), 两千万 → (2000, 10⁴), 三仟 → (3, 1000).

    Used to carry the multiplier of a range's upper end to its lower end.
    """
    i = len(run)
    while i > 0 and run[i - 1] in "万亿":
        i -= 1
    if i == len(run) and len(run) == 2 and run[1] in SMALL_POWERS and (run[0] in DIGITS or run[0].isdigit()):
        i = 1
    if 0 < i < len(run):
        try:
            scale = parse_folded("一" + run[i:]) if run[i] not in "十拾" else parse_folded(run[i:])
            return parse_folded(run[:i]), scale
        except ValueError:
            pass
    return value, Decimal(1)


def _is_placeholder(token: str) -> bool:
    """xx, x.xx, 20xx, x个: a placeholder; but the x of 3x3米 or x3米 is a times sign."""
    if not _X.search(token):
        return False
    return "xx" in token.lower() or "××" in token or not _X_TIMES.search(token)


def join_numerals(a: str, b: str) -> str:
    return a if a == b else "mixed"

