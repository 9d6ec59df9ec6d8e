"""drafter.guard.quantities: the extractor, on our own cases (quantity_cases.yaml) and by property."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter import extract_quantities
from drafter.guard.quantities import Quantity
from drafter.guard.units import canonical, lexicon

CASES = yaml.safe_load((Path(__file__).parent / "quantity_cases.yaml").read_text(encoding="utf-8"))


def _entry(q: Quantity) -> dict:
    return {
        "value": q.value,
        "unit": q.unit,
        "high": q.high,
        "approx": q.approximate,
        "text": q.text,
        "placeholder": q.placeholder,
    }


def _expected(item: object) -> dict:
    if isinstance(item, list):
        return {"value": Decimal(str(item[0])), "unit": item[1]}
    assert isinstance(item, dict)
    out = dict(item)
    for key in ("value", "high"):
        if key in out:
            out[key] = Decimal(str(out[key]))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:24] for c in CASES])
def test_quantity_case(case: dict) -> None:
    got = [_entry(q) for q in extract_quantities(case["text"])]
    want = [_expected(e) for e in case["expect"]]
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        assert {k: g[k] for k in w} == w, g


def test_offsets_point_into_the_original_text() -> None:
    text = "實現存欄奶牛2.5萬頭，增長百分之八十，近20萬元"
    for q in extract_quantities(text):
        assert text[q.start : q.end] == q.text
    assert [q.text for q in extract_quantities(text)] == ["2.5萬頭", "百分之八十", "近20萬元"]


def test_numerals_script_is_recorded() -> None:
    arabic, chinese, mixed = extract_quantities("新建12处，新建十二处，100万三千元")
    assert (arabic.numerals, chinese.numerals, mixed.numerals) == ("arabic", "chinese", "mixed")


def test_lexicon_loads() -> None:
    lex = lexicon()
    assert "公里" in lex.kinds and lex.kinds["个"] == "classifier"
    assert "两不愁三保障" in lex.fixed_phrases and "十四五" in lex.fixed_phrases


@pytest.mark.parametrize(
    "a,b",
    [(("2.5", "万头"), ("25000", "头")), (("1.49", "亿元"), ("14900", "万元")), (("12.6", "公里"), ("12.6", "千米")),
     (("80", "％"), ("80", "%")), (("3", "萬元"), ("3", "万元")), (("1", "个百分点"), ("1", "百分點"))],
)
def test_canonical_equivalences(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert canonical(Decimal(a[0]), a[1]) == canonical(Decimal(b[0]), b[1])


def test_percent_is_not_percentage_points() -> None:
    assert canonical(Decimal(95), "%") != canonical(Decimal(95), "个百分点")


# --- property tests -----------------------------------------------------------

_UNITS = ["公里", "元", "万元", "亿元", "人次", "户", "头", "亩", "%", "个百分点", "吨", "平方米", "名", "处"]
_DIGITS = "零一二三四五六七八九"
_TRAD = str.maketrans("万亿个点两区", "萬億個點兩區")


def _chinese(n: int) -> str:
    import cn2an

    return cn2an.an2cn(n, "low")


@st.composite
def rendered_figure(draw: st.DrawFn) -> tuple[str, Decimal, str]:
    """A figure value and unit, rendered in one of the written forms a report uses."""
    unit = draw(st.sampled_from(_UNITS))
    form = draw(st.sampled_from(["arabic", "separators", "fullwidth", "chinese", "wan", "traditional", "percent_words"]))
    if form == "percent_words":
        n = draw(st.integers(min_value=1, max_value=999))
        tenth = draw(st.integers(min_value=0, max_value=9))
        text = f"百分之{_chinese(n)}" + (f"点{_DIGITS[tenth]}" if tenth else "")
        return text, Decimal(n) + Decimal(tenth) / 10, "%"
    if form in ("chinese", "traditional"):
        n = draw(st.integers(min_value=10, max_value=99_999_999))
        text = _chinese(n) + unit
        return (text.translate(_TRAD) if form == "traditional" else text), Decimal(n), unit
    if form == "wan":
        cents = draw(st.integers(min_value=1, max_value=999_999))
        value = Decimal(cents) / 100  # e.g. 3.2万, 128.55万
        multiplier = draw(st.sampled_from(["万", "亿", "萬"]))
        scale = Decimal(10**8) if multiplier == "亿" else Decimal(10**4)
        base = unit if unit not in ("万元", "亿元") else "元"
        return f"{value}{multiplier}{base}", value * scale, base
    n = draw(st.integers(min_value=0, max_value=10**9))
    frac = draw(st.sampled_from(["", ".5", ".25", ".06"]))
    if form == "separators":
        text = f"{n:,}{frac}"
    elif form == "fullwidth":
        text = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else "．" if c == "." else c for c in f"{n}{frac}")
    else:
        text = f"{n}{frac}"
    return text + unit, Decimal(f"{n}{frac}"), unit


@given(rendered_figure(), st.sampled_from(["新建改造农村公路", "脱贫户人均纯收入达到", "共", "累计完成"]), st.sampled_from(["。", "，较上年有所提高。", ""]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rendered_figure_is_extracted_back(fig: tuple[str, Decimal, str], before: str, after: str) -> None:
    text, value, unit = fig
    found = extract_quantities(before + text + after)
    assert len(found) == 1, (text, found)
    q = found[0]
    assert q.value is not None
    assert canonical(q.value, q.unit) == canonical(value, unit), (text, q)


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_arbitrary_unicode_never_raises(text: str) -> None:
    for q in extract_quantities(text):
        assert 0 <= q.start < q.end <= len(text)
        assert text[q.start : q.end] == q.text


@given(st.text(alphabet=st.sampled_from(list("一二两三四五六七八九十百千万亿零〇壹拾佰点.,-%％个元年月日号第是xX半余多近约以上分之0123456789 ，。、（）")), max_size=60))
@settings(max_examples=400, deadline=None)
def test_numeral_soup_never_raises(text: str) -> None:
    for q in extract_quantities(text):
        assert text[q.start : q.end] == q.text
