"""Quantities in Chinese report text, read the way a checking official reads them.

:func:`extract_quantities` finds every stated amount in running text — a
number with its multiplier (万, 亿), approximation marks and unit or measure
word — and returns one :class:`Quantity` per amount, with offsets into the
original text. It reads both scripts (the text is folded per character, so
offsets survive; see :func:`drafter.guard.numerals.fold_text`).

What counts as a quantity (the rules, in the order they apply):

1. Never a quantity: web and e-mail addresses, phone numbers, document numbers,
   identifiers (B12, 5G), fixed phrases (两不愁三保障, 十四五, 千方百计; see
   :mod:`drafter.guard.nonquantities`), ordinals (第一, 第3万回), dates and clock times
   (2018年, 二〇二三年, 20xx年, 3月, 4月25至27日, 1-6月, 20点), heading and list
   numbers (一、 （三） 1.), and numbers in brackets on their own (「1」).
2. A number with a unit or measure word is a quantity (12.6公里, 1200人次,
   两个, 三年), with these exceptions, all judgment calls about report prose:

   - a lone 一 before a measure word that reads as an article or a set phrase
     (一个, 一批, 一项, 一次, 一年来, 进一步; the list is ``article_like`` in
     units.yaml) is not a count; 一台, 一吨, 一只 are. 一X一Y (一村一品) is a phrase;
   - a lone financial capital (伍, 陆, 拾) counts only before a unit of
     measurement (壹元), since 队伍, 大陆, 收拾 are words;
   - 百, 千, 万, 亿 without a digit count only with an approximation
     (千余人, 近万元, 上千人), since 万家, 千方百计, 百姓 are words;
   - a Chinese numeral before 级 is a tier (县乡村三级), not a count;
   - a decimal before a count word and a noun (2.2本计划) is a section number;
   - a Chinese numeral inside a short quotation (“四步”变“两步”) names a term.
3. A number without a unit is a quantity only when it is written as a number
   that could not be part of a word: Arabic digits, or a Chinese numeral with
   a multiplier and a digit (一百七, 二十, 八千) or a decimal point (九点九);
   and only when what follows is punctuation, a space, the end or a function
   word (的, 与, 以上, 小于 …; ``bare_follow`` in units.yaml): 9217商店 is a
   label. A single digit (一, 三), digits read one by one (九九, 零零三) and a
   lone 十 are quantities only when they are the whole text.

Multipliers are applied to the value (2.5萬頭 → 25000, unit 頭); the unit is
what is written after the multiplier (350萬元 → 3500000 元). 角/分/毛 after
元 fold into the 元 value (五元三毛 → 5.3 元). 百分之八十 gives 80 with unit
``%`` (its sign is not written). 成 and 倍 stay as written (九成 → 9 成).
半 before a unit of measurement or a duration is a half (半斤, 半个月, 近半年 →
0.5 个月 approximately); 上半年, 下半年, 这半年 and 半年来 name periods, not
amounts. Spaces that PDF text puts between the characters (20 多 万方) are read
through. Ranks (排名第五) are read apart, by :func:`drafter.guard.ranks.extract_ranks`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from drafter.guard.nonquantities import blocked_mask, is_bracketed, is_list_marker, quoted_terms_mask
from drafter.guard.numerals import CAPITAL_DIGITS, NUMERAL_CHARS, clean_decimal, fold_text
from drafter.guard.quantity_reader import HALF_KINDS, NUM_CHARS, RUN, NumberReader, Reading, join_numerals
from drafter.guard.units import fold_unit, match_unit, unit_kind
from drafter.text.textutil import HAN

_START = re.compile(rf"[{NUM_CHARS}xX×半]")
_PUNCT_ONLY = re.compile(r"[\W_]*")
_CONNECTOR = re.compile(r"\s*(?:\((?:含|不含)\)\s*)?(?:-{1,2}|~|—{1,2}|–|―|至|到)\s*")
_PREFIXES = ("大约", "大概", "约为", "将近", "接近", "不到", "不足", "至少", "最多", "最少", "至多", "多达", "高达", "超过", "逾", "约", "近", "超")
_NOT_BEFORE = {"近": "最附靠亲贴", "约": "节制签履预特公违合条婚誓相邀践", "超": "赶高", "负": "减担抱辜胜自欺肩正"}
_YEAR_LIST = re.compile(r"\s*(?:[、,和及与至到~-]|—{1,2})\s*(?:\d{4}|\d{2}[xX]{2}|[xX]{4})年")
_CAPITAL_KINDS = ("money", "mass", "length", "area", "volume", "ratio", "count_unit")

__all__ = ["Quantity", "extract_quantities"]


@dataclass(frozen=True)
class Quantity:
    """One amount stated in a text.

    Attributes:
        value: the number after applying 万 (×10⁴), 亿 (×10⁸), 千, 百 and a
            written sign; the lower end of a range; None for a placeholder.
        unit: the unit or measure word as written after the multiplier (頭,
            元, 人次, 公里, 個百分點; full-width forms folded, so ％ is ``%``);
            ``%`` for 百分之…, ``元`` for an amount in 角/分; ``""`` when none.
        start: offset of the first character in the text (prefixes such as 近
            and 约 included).
        end: offset after the last character (suffixes such as 以上 included).
        text: ``text[start:end]``.
        approximate: the approximation marks, joined (近, 余, 多, 以上, 左右 …);
            ``""`` when the amount is stated exactly.
        high: the upper end of a range (4-5名, 两三个, 1万-5万元), else None.
        placeholder: True for a template placeholder (xx, x.xx萬, xx%).
        numerals: ``"arabic"``, ``"chinese"`` or ``"mixed"``: the script of the
            digits (multipliers such as 万 do not count).
        rank: True for a rank (位居全县第二位, 排名第五) read by
            :func:`drafter.guard.ranks.extract_ranks`; :func:`extract_quantities`
            never returns one (an ordinal counts nothing).
    """

    value: Decimal | None
    unit: str
    start: int
    end: int
    text: str
    approximate: str = ""
    high: Decimal | None = None
    placeholder: bool = False
    numerals: str = "arabic"
    rank: bool = False

    @property
    def values(self) -> tuple[Decimal, ...]:
        """The value, or both ends of a range; empty for a placeholder."""
        if self.value is None:
            return ()
        return (self.value,) if self.high is None else (self.value, self.high)


class _Scanner(NumberReader):
    def __init__(self, text: str) -> None:
        super().__init__(fold_text(text))
        self.text = text
        self.blocked = blocked_mask(self.norm)
        self.quoted = quoted_terms_mask(self.norm)
        self.out: list[Quantity] = []

    def _isolated(self, q: Reading) -> bool:
        return bool(_PUNCT_ONLY.fullmatch(self.norm, 0, q.start) and _PUNCT_ONLY.fullmatch(self.norm, q.end))

    def _follow_ok(self, pos: int) -> bool:
        if pos >= self.n or not HAN.match(self.norm[pos]):
            return pos >= self.n or not (self.norm[pos].isascii() and self.norm[pos].isalpha())
        return any(self.norm.startswith(w, pos) for w in self.lex.bare_follow)

    def _accept(self, q: Reading, in_range: bool = False) -> bool:
        norm, lex = self.norm, self.lex
        if q.placeholder:
            return bool(q.unit or q.scale != 1 or q.approx or q.unit_override)
        if q.value is None:
            return False
        if q.numerals == "chinese" and self.quoted[q.start]:
            return False
        if q.unit or q.unit_override:
            kind = unit_kind(q.unit) if q.unit else "money"
            if q.shape == "power" and not q.run.startswith(("十", "拾")) and not q.approx:
                return False  # 万家, 千方百计; but 千余人, 近万元, 上千人
            if len(q.run) == 1 and q.run in CAPITAL_DIGITS and kind not in _CAPITAL_KINDS:
                return False  # 队伍, 拾起: a capital alone counts only money and measures
            if q.run == "一" and q.unit and q.value == 1 and not q.approx and not q.high and not self._isolated(q):
                if q.unit.split("/")[0] in lex.article_like:
                    return False
                if norm.startswith("一", q.unit_span[1]) or norm[q.start - 2 : q.start - 1] == "一":
                    return False  # 一村一品, 一户一档
            if q.numerals == "chinese" and q.unit in lex.tiers:
                return False
            if q.run == "二" and kind == "classifier":
                return False  # counts take 两 (两类, 两期); 二类, 二期, 二团 are names
            if q.shape == "digits" and not q.adjacent and not self._isolated(q):
                return False
            if kind == "classifier" and q.value != q.value.to_integral_value() and not self._follow_ok(q.end):
                return False  # 2.2本计划: a section number before a noun (户均3.2人 is a count)
            return True
        if self._isolated(q):
            return not (q.shape == "power" and not q.run.startswith(("十", "拾")))
        if q.shape in ("single", "digits") and not in_range:
            return False
        if q.shape == "power" and not (q.approx and q.scale != 1) and not in_range:
            return False
        plain = q.shape == "arabic" and q.run.isdigit() and q.scale == 1 and not q.approx
        if plain and (len(q.run) >= 7 or (len(q.run) > 1 and q.run[0] == "0")):
            return False  # an identifier or a phone number
        if plain and (self._heading_number(q) or _YEAR_LIST.match(norm, q.end) and 1900 <= int(q.run) <= 2099):
            return False  # 工作情况汇报1 (a title number); 2016、2017年 (a list of years)
        if is_list_marker(norm, q.start, q.end) or is_bracketed(norm, q.start, q.end):
            return False
        if norm[q.start - 1 : q.start] == "+" or norm.startswith("+", q.end) or self.quoted[q.start]:
            return False  # “1+N”, “1+4”政策: a formula or a quoted name
        if q.scale >= 10**4 and q.shape != "power":
            return True  # 6.6万养老人员, 近7万干部群众: a count with 万 needs no measure word
        return in_range or self._follow_ok(q.end)

    def _heading_number(self, q: Reading) -> bool:
        """A plain number closing a line without sentence punctuation, glued to a word (…工作情况汇报1)."""
        norm = self.norm
        if q.start == 0 or not HAN.match(norm[q.start - 1]) or (q.end < self.n and norm[q.end] not in "\r\n"):
            return False
        line_start = norm.rfind("\n", 0, q.start) + 1
        return not re.search(r"[。！？；!?;]", norm[line_start : q.start])

    # -- the scan ------------------------------------------------------------
    def _prefix(self, q: Reading) -> None:
        """A sign (负, -) and an approximation word (近, 约, 超过 …) written before the number."""
        norm, s = self.norm, q.start
        if s > 0 and norm[s - 1] in "负-":
            before = norm[s - 2] if s > 1 else ""
            if norm[s - 1] == "负":
                signed = not (before and before in _NOT_BEFORE["负"])  # 减负2160万元 is no negative
            else:
                signed = not before or not (before.isdigit() or before in NUMERAL_CHARS or before in "xX")
            if signed:
                q.start -= 1
                if q.value is not None:
                    q.value, q.high = -q.value, (-q.high if q.high is not None else None)
        s = q.start
        for p in _PREFIXES:
            at = s - len(p)
            if at >= 0 and norm.startswith(p, at) and not (at > 0 and norm[at - 1] in _NOT_BEFORE.get(p, "")):
                q.approx.insert(0, p)
                q.start -= len(p)
                return
        if q.shape == "power" and norm[s - 1 : s] == "上" and norm[s - 2 : s - 1] != "以":
            q.approx.insert(0, "上")
            q.start -= 1

    def _emit(self, q: Reading) -> None:
        unit = q.unit_override or (self.text[q.unit_span[0] : q.unit_span[1]] if q.unit else "")
        unit = fold_unit(unit)
        value = None if q.value is None else clean_decimal(q.value)
        high = None if q.high is None else clean_decimal(q.high)
        self.out.append(Quantity(value, unit, q.start, q.end, self.text[q.start : q.end], "".join(q.approx), high, q.placeholder, q.numerals))

    def _skip_run(self, s: int) -> int:
        m = RUN.match(self.norm, s)
        return m.end() if m else s + 1

    def _at(self, s: int) -> int:
        norm = self.norm
        if norm[s] == "半":
            return self._half(s)
        before = norm[s - 1] if s else ""
        q = self._read(s)
        if q is None:
            return self._skip_run(s)
        if before and (before in "第几" or (before == "数" and q.shape == "power")):
            return max(q.end, s + 1)  # 第三, 几十个, 数百: an ordinal or a vague number
        self._prefix(q)
        if q.time:
            return self._skip_range_tail(q.end)
        c = _CONNECTOR.match(norm, q.end)
        if c and c.end() < self.n and _START.match(norm, c.end()) and norm[c.end()] != "半":
            q2 = self._read(c.end())
            if q2 is not None:
                if q2.time:
                    return q2.end
                merged = self._range(q, q2)
                if merged is not None:
                    if self._accept(merged, in_range=True) and self._accept(q2, in_range=True):
                        self._emit(merged)
                    return merged.end
        if self._accept(q):
            self._emit(q)
            return max(q.end, s + 1)
        return max(q.end, self._skip_run(s)) if not q.unit else max(q.end, s + 1)

    def _skip_range_tail(self, end: int) -> int:
        c = _CONNECTOR.match(self.norm, end)
        if c and RUN.match(self.norm, c.end()):
            q2 = self._read(c.end())
            if q2 is not None and q2.time:
                return q2.end
        return end

    def _range(self, q1: Reading, q2: Reading) -> Reading | None:
        """Join 4-5名, 1万-5万元, 两到三万港元; None when the two are separate amounts."""
        if q1.placeholder or q2.placeholder:
            if q1.placeholder and q2.placeholder:
                q = Reading(q1.start, q2.end, None, placeholder=True, unit=q2.unit, unit_span=q2.unit_span, scale=q2.scale)
                q.approx = q1.approx + q2.approx
                return q
            return None
        u1, u2 = q1.unit or q1.unit_override, q2.unit or q2.unit_override
        if u1 and (not u2 or fold_text(u1) != fold_text(u2)):
            return None
        assert q1.value is not None and q2.value is not None
        low = q1.value
        if q2.scale > 1 and q1.scale < min(q2.scale, 10**4) and q1.value <= q2.base:
            low = q1.value * q2.scale  # 两到三万, 一千到两千万: the multiplier serves both ends
        q = Reading(q1.start, q2.end, low, run=q1.run + q2.run, shape="structured", numerals=join_numerals(q1.numerals, q2.numerals))
        q.unit, q.unit_span, q.unit_override = q2.unit, q2.unit_span, q2.unit_override
        q.high, q.approx, q.scale = q2.value, q1.approx + q2.approx, q2.scale
        return q

    def _half(self, s: int) -> int:
        """半斤, 半公里: half of a unit of measurement; 半个月, 近半年: half of a duration.

        上半年, 下半年, 这半年, 每半年 and 半年来 (like 一年来) name a period, not an amount.
        """
        norm = self.norm
        unit = match_unit(norm, s + 1, arabic=False)
        kind = unit_kind(unit) if unit else ""
        prefix = ""
        if s and norm[s - 1] in "上下多大一过前后近这那每第个":
            if not (kind == "duration" and norm[s - 1] in "近" and norm[s - 2 : s - 1] not in ("最", "附", "靠")):
                return s + 1
            prefix = "近"
        if not unit or kind not in HALF_KINDS + ("duration",):
            return s + 1
        if kind == "duration" and (norm.startswith(("来", "以来"), s + 1 + len(unit)) or unit in ("周岁", "周年", "岁")):
            return s + 1
        q = Reading(s, s + 1 + len(unit), Decimal("0.5"), run="半", shape="structured", numerals="chinese")
        q.unit, q.unit_span = unit, (s + 1, s + 1 + len(unit))
        if prefix:
            q.start -= 1
            q.approx.append(prefix)
        self._suffix(q)
        self._emit(q)
        return q.end

    def run(self) -> list[Quantity]:
        i = 0
        while True:
            m = _START.search(self.norm, i)
            if not m:
                return self.out
            s = m.start()
            if self.blocked[s]:
                i = s + 1
                continue
            i = max(self._at(s), s + 1)


def extract_quantities(text: str) -> list[Quantity]:
    """Every quantity stated in ``text``, in text order.

    Args:
        text: report text in either script (any length; other scripts and
            symbols are tolerated).

    Returns:
        One :class:`Quantity` per stated amount; a range is one Quantity with
        ``value`` and ``high``; a template placeholder (xx%, x.xx万) is a
        Quantity with ``placeholder=True`` and ``value=None``. Dates, years,
        times, phone and document numbers, headings, ordinals and fixed
        phrases give nothing (see the module docstring for every rule).

    Example:
        >>> [(str(q.value), q.unit) for q in extract_quantities("存欄奶牛2.5萬頭，增長8.5%")]
        [('25000', '頭'), ('8.5', '%')]
    """
    if not text:
        return []
    return _Scanner(text).run()

