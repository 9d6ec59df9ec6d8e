"""Spans of report text that hold digits or numeral characters but no quantity.

Used by :func:`drafter.guard.quantities.extract_quantities` before it reads any
number. Each rule names what it excludes:

- web addresses and e-mail addresses (percent-encoding such as ``%20``);
- phone numbers: mainland mobile numbers (11 digits from 1[3-9]), landlines
  with an area code (``0546-1234567``), 400/800 numbers, and digits within a
  few characters after 电话/手机/热线/传真/联系方式;
- document numbers: ``〔2023〕5号``, ``[2023]5号``, ``（2023）第5号``;
- clock times and numeric dates: ``10:30``, ``2023-05-01``, ``2023.5.1``;
- identifiers: a token mixing ASCII letters and digits (``B12``, ``A2021…``,
  ``5G``, ``3D``, ``COVID-19``), except a number followed by a known unit (``168cm``);
- fixed phrases from ``drafter/data/fixed_phrases.txt`` (两不愁三保障, 十四五,
  千方百计, 五台山), unless a numeral stands right before the phrase;
- short quoted terms (“四步”变“两步”, “三高”): a Chinese numeral inside a
  quotation of at most :data:`SHORT_QUOTE` characters names a slogan, not a count.
"""

from __future__ import annotations

import re

from drafter.guard.numerals import NUMERAL_CHARS
from drafter.guard.units import lexicon, match_unit
from drafter.text.punctuation import QUOTE_PAIRS, quotation_pattern

SHORT_QUOTE = 8
"""Longest quotation (characters inside the marks) read as a term, not a statement."""

_URL = re.compile(
    r"(?=[hHfFwW])(?:https?://|ftp://|www\.)[^\s，。；、（）()<>\"“”'‘’\u3000]+"
    r"|(?<![A-Za-z0-9._%+-])(?=[A-Za-z0-9])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
    re.I,
)
_PHONE = re.compile(
    r"(?<![\d.])(?=[\d(])(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,5})?|[48]00-?\d{3}-?\d{4}|\(0\d{2,3}\)\d{7,8})(?![\d.])"
)
_PHONE_WORD = re.compile(r"(?:电话|手机|热线|传真|联系方式|电邮|tel|Tel|TEL|QQ|微信)[号码]?\s*[:：]?\s*[\d零〇一二两三四五六七八九幺\s-]+")
_DOC_NO = re.compile(r"[〔\[【(（]\s*(?:19|20)\d{2}\s*[〕\]】)）]\s*第?\s*\d+\s*号")
_ID = re.compile(r"(?<![A-Za-z0-9.])(?=[A-Za-z0-9])(?:[A-Za-z]+-?[0-9]|[0-9]+-?[A-Za-z])(?:[A-Za-z0-9_-]|\.(?=[0-9]))*")
_PLACEHOLDER_TOKEN = re.compile(r"[0-9xX]+")
_CLOCK_DATE = re.compile(
    r"(?<![\d.])(?=\d)(?:\d{1,2}:\d{2}(?::\d{2})?|(?:19|20)\d{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01]))(?![\d])"
)
_PLAIN_BLOCKS = re.compile(
    r"(?=[0-9A-Za-z(（\[〔【电手热传联微])(?:"
    + "|".join(f"(?:{rx.pattern})" for rx in (_URL, _PHONE, _PHONE_WORD, _DOC_NO, _CLOCK_DATE))
    + ")",
    re.I,
)
_QUOTES = quotation_pattern(QUOTE_PAIRS, straight='"', max_inside=SHORT_QUOTE)
"""A short quotation in 引号 (:mod:`drafter.text.punctuation`) or straight double marks. Deliberately
not straight single marks (as often an apostrophe) nor 书名号: only quoted terms are masked."""


def _id_is_quantity(norm: str, m: re.Match[str]) -> bool:
    """``168cm``, ``15k元``, ``4.5km``: digits then a unit are a quantity, not an identifier."""
    token = m.group()
    if not token[0].isdigit():
        return False
    i = 0
    while i < len(token) and token[i].isdigit():
        i += 1
    start = m.start() + i
    unit = match_unit(norm, start)
    if unit and start + len(unit) == m.end():
        return True
    return token[i:] in ("k", "K") and m.end() < len(norm) and not norm[m.end()].isascii()


def blocked_mask(norm: str) -> bytearray:
    """Mark characters that belong to no quantity.

    Args:
        norm: folded text (:func:`drafter.guard.numerals.fold_text`).

    Returns:
        One byte per character: 1 where a URL, phone number, document number,
        identifier or fixed phrase covers the character, else 0.
    """
    mask = bytearray(len(norm))

    def block(a: int, b: int) -> None:
        mask[a:b] = b"\x01" * (b - a)

    for m in _PLAIN_BLOCKS.finditer(norm):
        block(m.start(), m.end())
    for m in _ID.finditer(norm):
        if _PLACEHOLDER_TOKEN.fullmatch(m.group()) or _id_is_quantity(norm, m):
            continue  # 20xx, x.xx万: placeholders are the extractor's business
        block(m.start(), m.end())
    for m in lexicon().fixed_re.finditer(norm):
        before = norm[m.start() - 1] if m.start() else ""
        if before and (before.isdigit() or before in NUMERAL_CHARS or before == "."):
            continue
        block(m.start(), m.end())
    return mask


def quoted_terms_mask(norm: str) -> bytearray:
    """Mark the inside of short quotations (“三高”, “四步”), where Chinese numerals name a term."""
    mask = bytearray(len(norm))
    for m in _QUOTES.finditer(norm):
        mask[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    return mask


_OPEN = "([（【「〔［<《"
_CLOSE = ")]）】」〕］>》"


def is_bracketed(norm: str, start: int, end: int) -> bool:
    """True when ``norm[start:end]`` stands alone in brackets: ``（三）``, ``(1)``, ``「1」``, ``[2]``."""
    a = start - 1
    while a >= 0 and norm[a] == " ":
        a -= 1
    b = end
    while b < len(norm) and norm[b] == " ":
        b += 1
    return a >= 0 and b < len(norm) and norm[a] in _OPEN and norm[b] in _CLOSE


_LIST_AFTER = re.compile(r"[、.)）]|\.(?!\d)")
_LIST_BEFORE = set("\n\r。；;：:！!？?\t")


def is_list_marker(norm: str, start: int, end: int) -> bool:
    """True for heading and list numbers: ``一、``, ``1.``, ``2)`` at the start of a line or sentence."""
    if end >= len(norm) or not _LIST_AFTER.match(norm, end):
        return False
    if norm[end] == "." and end + 1 < len(norm) and norm[end + 1].isdigit():
        return False
    a = start - 1
    while a >= 0 and norm[a] in " \u3000":
        a -= 1
    return a < 0 or norm[a] in _LIST_BEFORE
