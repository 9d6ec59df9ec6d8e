"""Tests of drafter.corpus.reports: files into reports, reports into 公文 sections."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_loaders import REPORT, make_docx, make_scanned_pdf, make_text_pdf

from drafter.corpus.cleaning import split_lines
from drafter.corpus.reports import (
    find_report_titles,
    find_year,
    parse_file,
    parse_paths,
    parse_text,
)
from drafter.corpus.sections import section_kind, split_sections
from drafter.errors import InputError

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SHARED = CORPUS / "000_a0d734900480c52c.txt"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="shared corpus file not present")


@pytest.fixture(scope="module")
def shared():
    return parse_file(SHARED)


# --- the shared corpus file ----------------------------------------------------------

# Top-level headings and kinds of four of the eleven reports (by position).
EXPECTED_TOP = {
    0: [("一、工作開展情況", "work"), ("二、存在問題", "problems"), ("三、下步工作思路", "next_steps")],
    4: [("一、存在問題及原因", "problems"), ("二、下一步工作打算", "next_steps")],
    7: [("一、工作開展情況脫貧攻堅工作", "work"), ("二、存在的問題", "problems"), ("三、下一步工作打算", "next_steps")],
    10: [("一、科學制定工作方案。", "other"), ("二、紮實開展綠滿行動。", "work"), ("三、20xx年工作計劃", "next_steps")],
}


@needs_shared
def test_shared_file_has_eleven_titled_reports(shared) -> None:
    assert shared.skipped is None
    assert shared.encoding == "utf-8"
    stem = shared.reports[0].title[:-1]
    assert [r.title for r in shared.reports] == [f"{stem}{n}" for n in range(1, 12)]
    assert [r.position for r in shared.reports] == list(range(11))
    for r in shared.reports:
        assert r.source == str(SHARED)
        assert r.script == "traditional"
        assert r.encoding == "utf-8"
        assert r.year is None  # every year in it is anonymised (20xx年)
        assert r.title not in r.text


@needs_shared
@pytest.mark.parametrize("position", sorted(EXPECTED_TOP))
def test_shared_file_top_level_headings_and_kinds(shared, position: int) -> None:
    report = shared.reports[position]
    top = [(s.heading, s.kind) for s in report.sections if s.level == 1]
    assert top == EXPECTED_TOP[position]


@needs_shared
def test_shared_file_first_report_sections(shared) -> None:
    report = shared.reports[0]
    lead = report.sections[0]
    assert (lead.level, lead.kind, lead.heading, lead.path) == (0, "opening", "", [])
    second = [(s.path[0], s.heading, s.kind) for s in report.sections if s.level == 2]
    assert len(second) == 8
    assert all(kind == "work" for top, _, kind in second[:5])
    assert all(kind == "next_steps" for top, _, kind in second[5:])
    assert second[1][1] == "(二)實施人才強鎮戰略,推動人才振興。"
    assert report.sections[2].text.startswith("一是")  # heading cut off its inline body


@needs_shared
def test_shared_file_sections_cover_text(shared) -> None:
    for report in shared.reports:
        covered = bytearray(len(report.text))
        for s in report.sections:
            assert report.text[s.start : s.end] == s.text
            for i in range(s.start, s.end):
                assert not covered[i]
                covered[i] = 1
            if s.heading:
                assert s.heading in report.text
        rest = "".join(ch for i, ch in enumerate(report.text) if not covered[i] and not ch.isspace())
        assert rest == "".join("".join(s.heading.split()) for s in report.sections)


@needs_shared
def test_shared_file_placeholders_marked(shared) -> None:
    report = shared.reports[3]
    assert len(report.placeholders) > 50
    for s, e in report.placeholders:
        assert "x" in report.text[s:e].lower()


@needs_shared
def test_shared_file_list_items_stay_in_body(shared) -> None:
    # report 7 numbers its work items 1、2、…: long list items, not headings
    report = shared.reports[6]
    assert [s.level for s in report.sections] == [1, 1, 1]
    assert report.sections[0].text.startswith("1、")
    # report 11 numbers short sub-headings 1. 2. …: those are headings
    assert [s.level for s in shared.reports[10].sections].count(3) == 7


# --- structure rules on small texts ---------------------------------------------------------


def test_single_report_title_and_year() -> None:
    [r] = parse_text(REPORT)
    assert r.title == "2024年青禾村驻村工作总结"
    assert r.year == 2024
    assert r.script == "simplified"
    assert [(s.heading, s.kind, s.level) for s in r.sections] == [
        ("", "opening", 0),
        ("一、工作开展情况", "work", 1),
        ("二、存在问题", "problems", 1),
    ]


def test_title_falls_back_to_file_stem() -> None:
    [r] = parse_text("今年以来，我们做了很多工作，现汇报如下。\n一、工作开展情况\n完成任务。", source="docs/青禾村.txt")
    assert r.title == "青禾村"
    assert r.sections[0].kind == "opening"


def test_year_rules() -> None:
    assert find_year("2023年上半年工作汇报") == 2023
    assert find_year("20xx年工作汇报", "2021年以来，我村……") == 2021
    assert find_year("工作汇报", "20xx年，我村……") is None


def test_piece_markers_split_reports() -> None:
    text = "【篇一】\n一村工作汇报\n正文一。\n【篇二】二村工作汇报\n正文二。\n"
    reports = parse_text(text)
    assert [(r.title, r.text) for r in reports] == [("一村工作汇报", "正文一。"), ("二村工作汇报", "正文二。")]


def test_number_series_must_run_from_one() -> None:
    lines = split_lines("工作汇报材料2\n正文。\n工作汇报材料3\n正文。")
    assert find_report_titles(lines) == []


def test_numbered_lines_without_prose_do_not_split() -> None:
    [r] = parse_text("青禾村工作总结\n正文。\n工作汇报附件1\n工作汇报附件2\n")
    assert r.title == "青禾村工作总结"


def test_kind_inheritance() -> None:
    assert section_kind("（三）存在的不足", "other") == "problems"
    assert section_kind("（三）存在的不足", "work") == "problems"  # decisive keyword
    assert section_kind("（一）坚持问题导向，推进整改", "work") == "work"  # 问题 alone is not decisive
    assert section_kind("（三）加强基础设施建设", "next_steps") == "next_steps"
    assert section_kind("（二）基本情况", None) == "opening"
    assert section_kind("（二）看到了什么", "problems") == "problems"


def test_heading_levels_and_paths() -> None:
    text = (
        "一、主要做法\n"
        "（一）加强组织领导\n"
        "1.建立台账。逐户登记。\n"
        "2.完善制度。按月调度。\n"
        "（1）细化分工\n"
        "明确责任。\n"
        "①压实责任\n"
        "层层签订责任书。\n"
        "②强化考核\n"
        "年底考核。\n"
        "（二）存在的不足\n"
        "产业基础薄弱。\n"
    )
    secs = split_sections(text)
    assert [(s.level, s.kind) for s in secs] == [
        (1, "work"), (2, "work"), (3, "work"), (3, "work"), (4, "work"), (5, "work"), (5, "work"), (2, "problems")
    ]  # fmt: skip
    assert secs[6].path == ["一、主要做法", "（一）加强组织领导", "2.完善制度。", "（1）细化分工", "②强化考核"]
    assert secs[2].heading == "1.建立台账。" and secs[2].text == "逐户登记。"


def test_heading_cut_before_enumeration() -> None:
    [sec] = split_sections("（二）驻村帮扶持续推进一是结合大走访活动，全覆盖入户走访。二是开展结对帮扶。")
    assert sec.heading == "（二）驻村帮扶持续推进"
    assert sec.text.startswith("一是结合")


def test_long_numbered_items_are_not_headings() -> None:
    text = (
        "一、认真做好扶贫工作\n"
        "1、春节前慰问贫困户十二户，走访贫困户宣传政策及防火安全知识，发放慰问品。\n"
        "2、疫情爆发后，立即返回村里，配合村干部对进出村屯人员车辆进行登记和体温测试。\n"
        "3、写了3篇通讯稿。\n"
    )
    secs = split_sections(text)
    assert len(secs) == 1 and secs[0].text.count("\n") == 2


def test_docx_headings_from_styles(tmp_path: Path) -> None:
    pf = parse_file(make_docx(tmp_path / "report.docx"))
    [r] = pf.reports
    assert r.title == "2024年青禾村驻村工作总结"
    assert [(s.heading, s.kind) for s in r.sections if s.level] == [
        ("一、工作开展情况", "work"),
        ("存在的问题和不足", "problems"),  # a heading by its Word style only
    ]
    assert "农村公路\t12.6公里" in r.sections[1].text


def test_text_pdf_headings_and_wrapped_lines(tmp_path: Path) -> None:
    lines = [
        "2024年青禾村驻村工作总结",
        "一、工作开展情况",
        "全年新建改造农村公路12.6公里，脱贫户人均纯收入",  # wrapped mid-sentence
        "15200元，同比增长3.2%。",
        "二、下一步工作打算",
        "继续巩固拓展脱贫攻坚成果。",
    ]
    pf = parse_file(make_text_pdf(tmp_path / "report.pdf", lines))
    [r] = pf.reports
    assert pf.encoding == "pdf"
    assert [(s.heading, s.kind) for s in r.sections] == [("一、工作开展情况", "work"), ("二、下一步工作打算", "next_steps")]
    assert r.sections[0].text == "全年新建改造农村公路12.6公里，脱贫户人均纯收入15200元，同比增长3.2%。"


def test_folder_ingest_goes_on_past_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a_empty.txt").write_bytes(b"")
    (tmp_path / "b_binary.txt").write_bytes(bytes(range(256)) * 4)
    make_scanned_pdf(tmp_path / "c_scan.pdf")
    (tmp_path / "d_good.txt").write_text(REPORT, encoding="utf-8")
    results = list(parse_paths(tmp_path))
    assert [Path(r.source).name for r in results] == ["a_empty.txt", "b_binary.txt", "c_scan.pdf", "d_good.txt"]
    assert results[0].skipped == "empty file"
    assert "binary" in results[1].skipped
    assert results[2].skipped == "no text layer (scanned?)"
    assert results[3].skipped is None and len(results[3].reports) == 1
    assert all(not r.reports for r in results[:3])


def test_only_boilerplate_is_skipped(tmp_path: Path) -> None:
    f = tmp_path / "ad.txt"
    f.write_text("以下是小编收集整理的工作汇报，希望对大家有所帮助。\n最近访问\n", encoding="utf-8")
    pf = parse_file(f)
    assert pf.reports == [] and pf.skipped


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        list(parse_paths([tmp_path / "missing"]))
