"""The genre check (drafter.guard.genre): quiet on real reports, loud on each planted fault."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import BUNDLED_CORPUS, SHARED_FILE
from drafter.corpus.reports import parse_file
from drafter.figures import Figure
from drafter.guard.genre import GENRE_KINDS, check_genre


def fig(name: str, value: str, unit: str, role: str | None = None) -> Figure:
    return Figure(name, Decimal(value), unit, value_text=value, role=role)


def _reports():
    for path in [SHARED_FILE, *sorted(BUNDLED_CORPUS.glob("*.txt"))]:
        for report in parse_file(path).reports:
            yield f"{path.name}#{report.position}", report


@pytest.mark.parametrize("name, report", list(_reports()), ids=lambda x: x if isinstance(x, str) else "")
def test_quiet_on_real_and_sample_reports(name, report):
    """The 11 real reports of ../shared/corpus and the 12 samples: no finding at all (false-alarm rate 0)."""
    findings = check_genre(report.text)
    assert findings == [], [(f.kind, f.text) for f in findings]


def test_quiet_on_real_paragraphs_read_as_sections():
    """Each real section read alone as its own kind: no tense, broken-clause or artefact finding."""
    n = 0
    for path in (SHARED_FILE,):
        for report in parse_file(path).reports:
            for sec in report.sections:
                if sec.kind in ("work", "problems", "next_steps") and len(sec.text) > 40:
                    n += 1
                    found = [f for f in check_genre(sec.text, sec.kind) if f.kind != "empty_item"]
                    assert found == [], (report.title, sec.heading, [(f.kind, f.text) for f in found])
    assert n >= 40


def kinds(text: str, kind: str | None = "work", **kw) -> list[str]:
    return [f.kind for f in check_genre(text, kind, **kw)]


def test_every_kind_has_a_planted_case():
    planted = {
        "tense": kinds("我们将通过技能培训等措施，推动群众增收。开展技能培训460人次。"),
        "broken_clause": kinds("一是退出贫困村达到14个；二是减少贫困人口达到8600人。"),
        "name_as_measure": kinds("我们通过村集体经济收入、冷链仓储服务等措施，推动产业发展。村集体经济收入达到18.9万元。",
                                 figures=[fig("村集体经济收入", "18.9", "万元")]),
        "figure_name": kinds("添加省级示范家庭农场6家，带动农户增收。", figures=[fig("新增省级示范家庭农场", "6", "家")]),
        "figure_role": kinds("全县幅员面积达到1320平方公里。", figures=[fig("幅员面积", "1320", "平方公里")]),
        "mixed_script": kinds("落实衔接资金1680萬元，完成项目建设。"),
        "empty_item": kinds("（一）完善基础设施建设。新建改造农村公路4.5公里，群众出行更加便捷，村内道路通行条件明显改善。\n（二）推动乡村振兴战略实施。\n（三）加强组织建设。发展新党员3名，党员队伍结构进一步优化，基层党组织战斗力不断增强。"),
        "long_list": kinds("一是甲工作；二是乙工作；三是丙工作；四是丁工作；五是戊工作；六是己工作；七是庚工作。"),
        "repeated": kinds("坚持问题导向，采取有力措施和措施，推动工作落实。"),
        "artefact": kinds("好的，以下是正文：**新建改造农村公路4.5公里**。"),
        "unsupported": kinds("建成村级文化广场，群众文化生活更加丰富。", user_text="新建改造农村公路"),
        "length": kinds("新建改造农村公路4.5公里。", target=600),
    }
    assert set(planted) == set(GENRE_KINDS)
    for kind, found in planted.items():
        assert kind in found, (kind, found)


@pytest.mark.parametrize("text, kind", [
    ("本工作队将重点推进农村公路建设，提升群众出行条件。新建改造农村公路4.5公里。", "work"),
    ("计划新修产业路45公里，方便群众生产。", "work"),
    ("（一）壮大集体经济。已完成村集体经济发展规划，取得了明显成效。", "next_steps"),
])
def test_tense_by_section_kind(text, kind):
    figures = [fig("新修产业路", "45", "公里")] if "45公里" in text else []
    assert "tense" in kinds(text, kind, figures=figures)


def test_tense_is_quiet_where_real_reports_say_what_comes_next():
    # a work paragraph that reports progress and then the next step, as real reports do
    text = "完成后盾单位支援建设资金的签约，下一步将监督项目的建设。村内道路全部硬化，群众出行更加便捷。"
    assert "tense" not in kinds(text, "work")
    assert "tense" not in kinds("（一）壮大集体经济。将持续盘活闲置资产，力争村集体经济收入稳步增长。", "next_steps")


@pytest.mark.parametrize("text", [
    "退出贫困村达到14个",
    "减少贫困人口达到8600人",
    "力争计划新建产业路达到45公里",
    "贫困发生率仍有达到0.9%",
    "各项惠农补贴达到0.86亿元",
    "在县委、县政府的坚强领导下，聚焦乡村振兴、驻村工作报告。",
    "本单位的工作开展情况介绍如下：。",
    "通过这些措施，为打赢脱贫攻坚战奠定了坚实的。",
    "累计走访农户人次，收集意见件次。",
])
def test_broken_clauses_of_the_issue(text):
    assert "broken_clause" in kinds(text, "work"), text


def test_broken_clause_is_quiet_on_right_uses_of_dada():
    for text in ("全村黄桃种植面积达到365亩。", "自来水入户率达到98%。", "脱贫户人均纯收入达到15630元。", "这是群众最关心的。"):
        assert "broken_clause" not in kinds(text, "work"), text


def test_a_level_and_its_change_split_into_two_items_is_a_role_finding():
    figures = [fig("农业总产值", "8.6", "亿元"), fig("农业总产值增速", "6.1", "%")]
    split = "一是农业总产值达到8.6亿元；二是农业总产值增速达到6.1%。"
    joined = "农业总产值8.6亿元，增长6.1%。"
    assert "figure_role" in kinds(split, "work", figures=figures)
    assert "figure_role" not in kinds(joined, "work", figures=figures)
    assert "figure_name" not in kinds(joined, "work", figures=figures)  # the change shares its level's name
    assert "figure_name" not in kinds("有脱贫户86户257人。", "opening", figures=[fig("脱贫户", "86", "户"), fig("脱贫人口", "257", "人")])


def test_lead_repeating_its_item_is_repeated():
    figures = [fig("新建改造垃圾收集点", "11", "处")]
    text = "本工作队新建改造垃圾收集点，提升农村环境卫生水平。新建改造垃圾收集点11处。"
    assert "repeated" in kinds(text, "work", figures=figures)


def test_mixed_script_in_a_traditional_draft_and_variants_that_are_not():
    assert "mixed_script" in kinds("新建改造農村公路4.5公里，群众出行更加便捷。", "work", script="traditional")
    # variants both standards accept (群/羣, 核/覈, 峰/峯, 竹溪) are one script
    assert kinds("組織群眾核查，竹溪村迎來用水高峰。", "work", script="traditional") == []


def test_unsupported_deliverables_need_the_users_words():
    assert "unsupported" in kinds("开展了“百姓大舞台”活动，丰富了群众生活。", user_text="成立村红白理事会")
    assert "unsupported" not in kinds("建成村级文化广场，群众文化生活更加丰富。", user_text="建成村级文化广场2处")
    assert "unsupported" not in kinds("建成村级文化广场，群众文化生活更加丰富。")  # no user words given: not judged


def test_length_against_target():
    text = "新建改造农村公路4.5公里，群众出行更加便捷。" * 10
    assert "length" not in kinds(text, "work", target=200)
    assert "length" in kinds(text, "work", target=600)
    assert "length" in kinds(text, "work", target=80)


def test_whole_report_is_cut_at_level_one_headings():
    text = ("2025年，工作队扎实推进各项工作。现将有关情况总结如下：\n一、工作开展情况\n我们将新建道路。\n"
            "二、下步工作打算\n（一）持续壮大特色产业。将持续发展黄桃产业，力争村集体经济收入稳步增长。")
    found = check_genre(text)
    assert [(f.kind, f.text) for f in found] == [("tense", "我们将")]


def test_never_raises_on_odd_text():
    for text in ("", "。。。", "（一）", "一是", "\n\n", "a" * 1000, "数" * 5000):
        check_genre(text, None)
        check_genre(text, "work", target=10)
