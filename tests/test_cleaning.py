"""Tests of drafter.corpus.cleaning: boilerplate, page breaks, footnotes, placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafter.corpus.cleaning import (
    clean_text,
    drop_footnote_markers,
    ends_open,
    find_placeholders,
    heading_marker,
    join_broken_lines,
    prepare_lines,
    remove_boilerplate,
    split_lines,
)
from drafter.text.script import to_simplified_chars

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SHARED = CORPUS / "000_a0d734900480c52c.txt"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="shared corpus file not present")

BOILERPLATE_MARKS = ["小编", "希望对大家有所帮助", "最近访问", "相关推荐", "热门文章"]


def test_site_intro_and_footer_removed() -> None:
    text = (
        "乡村振兴工作汇报\n\n"
        "  在平淡的日常中，汇报与我们的生活息息相关。以下是小编收集整理的乡村振兴工作汇报，希望对大家有所帮助。\n\n"
        "今年以来，我镇扎实推进乡村振兴。\n\n"
        "相关推荐\n"
        "乡村振兴工作总结\n"
        "驻村工作报告范文\n\n"
        "热门文章：年度工作计划\n"
    )
    lines = [line for line in remove_boilerplate(split_lines(text)) if line]
    assert lines == ["乡村振兴工作汇报", "今年以来，我镇扎实推进乡村振兴。"]


def test_footer_stops_at_prose() -> None:
    lines = ["正文第一段。", "最近访问", "链接一", "", "这是一段很长的正文内容，不是页脚的链接列表。" * 3]
    assert remove_boilerplate(lines) == ["正文第一段。", "这是一段很长的正文内容，不是页脚的链接列表。" * 3]


def test_boilerplate_matches_traditional_script() -> None:
    lines = ["以下是小編收集整理的工作彙報，希望對大家有所幫助。", "正文。", "最近訪問"]
    assert remove_boilerplate(lines) == ["正文。"]


def test_page_numbers_dropped() -> None:
    assert remove_boilerplate(["正文。", "- 3 -", "第3页 共8页", "12", "3/8", "继续。"]) == ["正文。", "继续。"]


def test_footnote_markers() -> None:
    assert drop_footnote_markers("打通“两山”「1」转化通道") == "打通“两山”转化通道"
    assert drop_footnote_markers("见文献[12]。") == "见文献。"
    assert drop_footnote_markers("实现“双清零”1，") == "实现“双清零”，"
    assert drop_footnote_markers("乡村振兴²的目标") == "乡村振兴的目标"
    assert drop_footnote_markers("面积500m²，增长12%") == "面积500m²，增长12%"
    assert drop_footnote_markers("“三+”10的基础上") == "“三+”10的基础上"  # not before punctuation: kept
    assert prepare_lines("正文，\n「1」\n继续。") == ["正文，", "继续。"]


def test_page_break_joined() -> None:
    lines = [
        "这两个地区依托得天独厚的山水资源，在发展农事体验、农家生活等特色产业的基础上，",
        "",
        "因地制宜发展乡村休闲产业。",
        "",
        "这两个地方注重保护和开发利用好历史文化村落和非物质",
        "",
        "文化遗产，深入发掘乡村故事。",
    ]
    assert join_broken_lines(lines) == [
        "这两个地区依托得天独厚的山水资源，在发展农事体验、农家生活等特色产业的基础上，因地制宜发展乡村休闲产业。",
        "这两个地方注重保护和开发利用好历史文化村落和非物质文化遗产，深入发掘乡村故事。",
    ]


def test_page_break_not_joined_at_headings_titles_or_sentence_ends() -> None:
    lines = [
        "乡村振兴驻村工作情况汇报1",  # a title: short, no punctuation
        "",
        "按照部署，现将情况总结如下：",
        "",
        "（一）扎实推进城乡生活垃圾无害化处理",
        "",
        "为进一步实现生活垃圾无害化处理，减少了资源浪费，",
        "",
        "（二）完善生活垃圾收运体系",
        "指标\t数值",
        "公路\t12.6公里",
    ]
    assert join_broken_lines(lines) == [line for line in lines if line]


def test_heading_with_inline_body_can_continue() -> None:
    lines = ["（三）积极强化镇村产业支撑。当前，我区传统种养模式没", "", "有得到根本转变。"]
    assert join_broken_lines(lines) == ["（三）积极强化镇村产业支撑。当前，我区传统种养模式没有得到根本转变。"]


def test_ends_open() -> None:
    assert ends_open("基础上，")
    assert ends_open("非物质")
    assert not ends_open("如下：")
    assert not ends_open("目标。”")
    assert ends_open("“两山”")


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("一、工作开展情况", 1),
        ("十一、其他", 1),
        ("（一）实施人才强镇战略", 2),
        ("(二)完善体系", 2),
        ("1.环城防护林带快速推进。", 3),
        ("10、配合边检站", 3),
        ("（1）加强领导", 4),
        ("(2)强化考核", 4),
        ("①建立台账", 5),
        ("1.65万亩", None),
        ("一是推进现代畜牧业", None),
        ("3月10-12日，召开会议", None),
        ("20xx年工作计划", None),
    ],
)
def test_heading_marker_levels(line: str, level: int | None) -> None:
    got = heading_marker(line)
    assert (got[0] if got else None) == level


def test_placeholders_spans() -> None:
    text = "xx市20xx年完成投资x.xx万元，XX县××镇某某村增长12.6%，用Excel统计，2023年。"
    spans = find_placeholders(text)
    assert [text[s:e] for s, e in spans] == ["xx", "20xx", "x.xx", "XX", "××", "某某"]
    assert "12.6" not in [text[s:e] for s, e in spans]


def test_clean_text_keeps_script_and_placeholders() -> None:
    raw = "一、工作開展情況\n\n  xx區完成20xx年任務，\n\n  專案最佳化資料。\n"
    assert clean_text(raw) == "一、工作開展情況\nxx區完成20xx年任務，專案最佳化資料。"


@needs_shared
def test_shared_file_boilerplate_gone() -> None:
    lines = prepare_lines(SHARED.read_text(encoding="utf-8"))
    simp = to_simplified_chars("\n".join(lines))
    for mark in BOILERPLATE_MARKS:
        assert mark not in simp
    assert "「" not in simp  # the 「n」 footnote markers


@needs_shared
def test_shared_file_page_breaks_joined() -> None:
    lines = prepare_lines(SHARED.read_text(encoding="utf-8"))
    paras = join_broken_lines(lines)
    nonblank = [line for line in lines if line]
    assert len(nonblank) - len(paras) == 10  # ten page breaks inside paragraphs
    # a long paragraph left ending mid-sentence is followed by a heading only
    # (the source cut that sentence off itself)
    for para, nxt in zip(paras, paras[1:]):
        if ends_open(para) and heading_marker(para) is None and len(para) > 20:
            assert heading_marker(nxt) is not None, f"paragraph still broken: …{para[-20:]}"
