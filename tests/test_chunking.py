"""Tests of drafter.corpus.chunking: token bounds, sentence awareness, protected spans."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter.corpus.chunking import Chunk, chunk_report, protected_spans, split_spans
from drafter.corpus.cleaning import split_lines
from drafter.corpus.reports import find_report_titles, parse_file, parse_text
from drafter.text.script import to_simplified_chars
from drafter.text.tokens import count_tokens

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SHARED = CORPUS / "000_a0d734900480c52c.txt"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="shared corpus file not present")

# A number with its decimal point, thousands separator or range: a boundary
# must not fall between two of these characters.
_NUMBER_INNER = re.compile(r"\d[.,，\-~至]?$")


def boundary_inside_number(text: str, i: int) -> bool:
    """True when offset ``i`` of ``text`` cuts a number (12.6, 1,200, 4-5, 3.2万)."""
    if i <= 0 or i >= len(text):
        return False
    left, right = text[max(0, i - 2) : i], text[i : i + 2]
    if left[-1:].isdecimal() and right[:1].isdecimal():
        return True
    if left[-1:] in ".,-~" and left[-2:-1].isdecimal() and right[:1].isdecimal():
        return True
    return left[-1:].isdecimal() and right[:1] in ".," and right[1:2].isdecimal()


@pytest.fixture(scope="module")
def shared_chunks() -> list[tuple[object, list[Chunk]]]:
    pf = parse_file(SHARED)
    return [(r, chunk_report(r)) for r in pf.reports]


@needs_shared
def test_shared_chunks_bounds_and_coverage(shared_chunks) -> None:
    total = 0
    for report, chunks in shared_chunks:
        total += len(chunks)
        assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
        for c in chunks:
            assert report.text[c.start : c.end] == c.text
            assert count_tokens(c.text) <= 256
            assert c.report_title == report.title and c.position == report.position
            # inside one section body
            assert any(s.start <= c.start and c.end <= s.end and s.path == c.section_path for s in report.sections)
        # every body character is in exactly one chunk
        covered = bytearray(len(report.text))
        for c in chunks:
            for i in range(c.start, c.end):
                assert not covered[i]
                covered[i] = 1
        for s in report.sections:
            assert all(covered[i] or report.text[i].isspace() for i in range(s.start, s.end))
    assert 200 < total < 400


@needs_shared
def test_shared_chunks_have_no_boilerplate(shared_chunks) -> None:
    for _, chunks in shared_chunks:
        for c in chunks:
            simp = to_simplified_chars(c.text)
            for mark in ("小编", "希望对大家有所帮助", "最近访问", "「"):
                assert mark not in simp, c.text


@needs_shared
def test_shared_chunks_never_cut_numbers(shared_chunks) -> None:
    for report, chunks in shared_chunks:
        for c in chunks:
            assert not boundary_inside_number(report.text, c.start), report.text[c.start - 5 : c.start + 5]
            assert not boundary_inside_number(report.text, c.end), report.text[c.end - 5 : c.end + 5]


@needs_shared
def test_shared_chunks_taiwan_wording_normalised(shared_chunks) -> None:
    chunks = [c for _, cs in shared_chunks for c in cs]
    for tw, mainland in (("專案", "项目"), ("最佳化", "优化"), ("資料", "数据")):
        hits = [c for c in chunks if tw in c.text]
        assert hits, tw
        for c in hits:
            assert mainland in c.norm_text and mainland in c.embed_text
            assert tw not in c.norm_text
    c = next(c for c in chunks if c.section_path)
    assert c.embed_text.startswith(c.section_path[0][:2])  # simplified heading path first
    assert "開展" not in c.embed_text


@needs_shared
def test_shared_chunk_ids_stable_and_unique(shared_chunks) -> None:
    ids = [c.id for _, cs in shared_chunks for c in cs]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    again = [c.id for r in parse_file(SHARED).reports for c in chunk_report(r)]
    assert again == ids
    assert len({c.report_id for _, cs in shared_chunks for c in cs}) == 11


@needs_shared
@pytest.mark.parametrize("codec", ["gb18030", "big5", "utf-16"])
def test_encoded_copies_give_the_same_chunks(tmp_path: Path, codec: str) -> None:
    raw = SHARED.read_text(encoding="utf-8")
    lines = split_lines(raw)
    titles = find_report_titles(lines)
    # reports 5 and 8 (positions 4 and 7), each as a file of its own
    for pos in (4, 7):
        piece = "\n".join(lines[titles[pos][0] : titles[pos + 1][0]])
        original = tmp_path / f"r{pos}.txt"
        original.write_text(piece, encoding="utf-8")
        copy = tmp_path / f"r{pos}.{codec}.txt"
        copy.write_bytes(piece.encode(codec))
        want_file, got_file = parse_file(original), parse_file(copy)
        assert got_file.skipped is None, got_file.skipped
        assert got_file.encoding == codec.replace("big5", "big5")
        want = [(c.text, c.section_path, c.section_kind, c.start, c.end) for r in want_file.reports for c in chunk_report(r)]
        got = [(c.text, c.section_path, c.section_kind, c.start, c.end) for r in got_file.reports for c in chunk_report(r)]
        assert got == want and want


# --- rules on small texts ----------------------------------------------------------------------


def test_quotations_are_not_split() -> None:
    quote = "“" + "坚持绿水青山就是金山银山。" * 2 + "”"  # shorter than max_tokens
    text = ("全镇上下统一思想。" * 3) + "提出" + quote + "的理念。" + ("大家认真落实。" * 3)
    spans = split_spans(text, max_tokens=40, min_tokens=4)
    q0 = text.index("“")
    q1 = text.index("”") + 1
    for s, e in spans:
        assert not (q0 < s < q1) and not (q0 < e < q1)


def test_long_sentence_split_at_clauses_outside_numbers() -> None:
    text = (
        "全年新建改造农村公路12.6公里，新增就业1,200人，培训4-5名致富带头人，"
        "实现村集体收入3.2万元，种植果树150亩，发放补贴xx.x万元，建成大棚10座，"
        "完成危房改造21户，整治河道3至5公里，组织活动12场次，覆盖群众3485户。"
    )
    spans = split_spans(text, max_tokens=24, min_tokens=4)
    assert len(spans) > 1
    for s, e in spans[1:]:
        assert text[s - 1] in "，,、：:"  # cut after a clause mark
    for s, e in spans:
        assert count_tokens(text[s:e]) <= 24
        assert not boundary_inside_number(text, s) and not boundary_inside_number(text, e)


def test_hard_split_as_last_resort_keeps_numbers() -> None:
    text = "全村" + "".join(f"第{i}组完成{i}.5万元" for i in range(10, 60)) + "。"
    spans = split_spans(text, max_tokens=16, min_tokens=1)
    assert len(spans) > 3
    for s, e in spans:
        assert count_tokens(text[s:e]) <= 16
        assert not boundary_inside_number(text, s) and not boundary_inside_number(text, e)
    spans_protected = protected_spans(text)
    for s, _ in spans[1:]:
        assert not any(a < s < b for a, b in spans_protected)


def test_enumeration_boundaries_preferred() -> None:
    text = (
        "一是推进产业振兴。发展特色种植，新建大棚10座。引进龙头企业两家。"
        "二是推进人才振兴。开展培训25期。引进人才12名。"
        "三是推进文化振兴。建成文化广场3处。"
    )
    spans = split_spans(text, max_tokens=40, min_tokens=4)
    starts = [text[s : s + 2] for s, _ in spans]
    assert starts[0] == "一是"
    assert "二是" in starts and "三是" in starts


def test_short_enumeration_lead_stays_with_its_content() -> None:
    text = "一是完善台账。" + "逐户核对家庭人口、收入、住房情况，建立动态管理台账，" * 6 + "做到底数清。二是强化考核。年底考核。"
    spans = split_spans(text, max_tokens=60, min_tokens=16)
    assert not any(text[s:e] == "一是完善台账。" for s, e in spans)


def test_small_chunks_merged() -> None:
    text = "第一段。\n第二段很短。\n第三段。"
    assert split_spans(text, max_tokens=64, min_tokens=32) == [(0, len(text))]


def test_chunk_report_fields() -> None:
    [r] = parse_text("2024年工作汇报\n现将情况汇报如下。\n一、工作开展情况\n完成12.6公里。", source="x/报告.txt")
    chunks = chunk_report(r)
    assert [(c.section_path, c.section_kind, c.text) for c in chunks] == [
        ([], "opening", "现将情况汇报如下。"),
        (["一、工作开展情况"], "work", "完成12.6公里。"),
    ]
    c = chunks[1]
    assert c.embed_text == "一、工作开展情况 完成12.6公里。"
    assert (c.year, c.source, c.position, c.report_title) == (2024, "x/报告.txt", 0, "2024年工作汇报")


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        split_spans("文本。", max_tokens=4)
    with pytest.raises(ValueError):
        split_spans("文本。", max_tokens=16, min_tokens=32)


# --- fuzz ------------------------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    list("乡村振兴工作开展情况一二三是项目资料“”「」《》，。、；：！？,.;:-~%万亿公里元 \n\t")
    + list("0123456789") * 3
    + ["xx", "20xx", "一、", "（一）", "1.", "（1）", "①", "\n\n", "“两山”「1」", "最近访问\n"]
)
_TEXT = st.lists(_ALPHABET, max_size=300).map("".join) | st.text(max_size=200)


def _digit_runs(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\d+", text)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, max_tokens=st.integers(8, 48), min_tokens=st.integers(0, 8))
def test_fuzz_split_spans(text: str, max_tokens: int, min_tokens: int) -> None:
    spans = split_spans(text, max_tokens=max_tokens, min_tokens=min_tokens)
    covered = bytearray(len(text))
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        for i in range(s, e):
            covered[i] = 1
        last = e
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(text))
    runs = _digit_runs(text)
    for s, e in spans:
        for b in (s, e):
            assert not any(a < b < z for a, z in runs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
def test_fuzz_parse_and_chunk(text: str) -> None:
    for report in parse_text(text):
        chunks = chunk_report(report, max_tokens=32, min_tokens=4)
        runs = _digit_runs(report.text)
        for c in chunks:
            assert report.text[c.start : c.end] == c.text and c.text.strip()
            for b in (c.start, c.end):
                assert not any(a < b < z for a, z in runs)


def test_quotation_longer_than_max_is_cut_inside_as_last_resort() -> None:
    text = "他说：“" + "我们要坚持绿水青山就是金山银山的理念，持续推进农村人居环境整治。" * 6 + "”大家表示赞同。"
    spans = split_spans(text, max_tokens=40, min_tokens=4)
    assert len(spans) > 2
    for s, e in spans:
        assert count_tokens(text[s:e]) <= 40
    inner = [s for s, _ in spans if 0 < s and text.index("“") < s < text.index("”")]
    assert inner and all(text[s - 1] in "。，" for s in inner)
