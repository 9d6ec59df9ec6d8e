"""The number guard on report prose (issue 13): each binding class of the genre reads clean, real faults are named right.

The examples are the issue's; the suites in evals/checker/ (tests/test_guard_suite.py) measure the same on
149 paragraphs.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from drafter import check_draft
from drafter.errors import InputError
from drafter.figures import Figure, figures_from_data, load_figures


def fig(name: str, value: str, unit: str) -> Figure:
    """A figure as the figures-file reader makes it (so 2-3 and 500余 read as in a file)."""
    return figures_from_data({"figures": [{"name": name, "value": value, "unit": unit}]}, Path("test")).figures[0]


def kinds(result) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in result.findings]


CLEAN = [
    # 1. paired counts: the second quantity belongs to the first one's subject
    ("全村共有脱贫户120户356人。", [("脱贫户", "120", "户"), ("脱贫人口", "356", "人")]),
    ("资助学生40人6.5万元。", [("资助学生", "40", "人"), ("资助金额", "6.5", "万元")]),
    ("改造危房32户2860平方米。", [("改造危房", "32", "户"), ("改造面积", "2860", "平方米")]),
    # 2. subject carried over, and 分别
    ("奶牛存栏1.2万头，产量4.1万吨。", [("奶牛存栏", "1.2", "万头"), ("牛奶产量", "4.1", "万吨")]),
    ("女性党员偏少，只有6人。", [("女性党员", "6", "人")]),
    ("蔬菜、水果产量分别增长12.5%、9%。", [("蔬菜产量增长", "12.5", "%"), ("水果产量增长", "9", "%")]),
    # 3. number before its noun; shorter names in prose; table suffixes and unit words not required
    ("组织120名机关干部下沉一线。", [("下沉一线机关干部", "120", "人")]),
    ("将11个村民小组合并为4个村民小组。", [("原有村民小组", "11", "个"), ("合并后村民小组", "4", "个")]),
    ("建成沼气池45口，新修渠系17公里。", [("沼气池数量", "45", "口"), ("渠系总长", "17", "公里")]),
    ("开展培训18期、1200人次。", [("开展培训", "18", "期"), ("培训人次", "1200", "人次")]),
    # 4. thresholds inside a figure's name
    ("全镇年经营性收入30万元以上的村8个。", [("年经营性收入30万元以上的村", "8", "个")]),
    ("全镇年经营性收入30万元以上的村8个，50万元以上的村3个。",
     [("年经营性收入30万元以上的村", "8", "个"), ("年经营性收入50万元以上的村", "3", "个")]),
    # 5. ranges and approximations; everyday units
    ("每组由2至3人组成。", [("每组人数", "2-3", "人")]),
    ("每组由2-3人组成。", [("每组人数", "2至3", "人")]),
    ("清运淤泥20多万方，调处纠纷500余件。", [("清运淤泥", "20多", "万方"), ("调处纠纷", "500余", "件")]),
    ("清运淤泥20 多 万方，调处纠纷500 余件。", [("清运淤泥", "20", "万方"), ("调处纠纷", "500", "件")]),
    ("“村晚”连续举办3晚，开挖土方3000方。", [("村晚连续举办", "3", "晚"), ("开挖土方", "3000", "方")]),
    # 6. ranks and durations, as figures
    ("我镇位居全县第二位，人居环境整治单项排名第一。", [("全县排名", "2", "位"), ("人居环境整治单项排名", "1", "名")]),
    ("工作队用近半个月时间走访种植大户。", [("走访种植大户用时", "0.5", "个月")]),
    ("桃溪古村距今已有1300多年历史。", [("建村历史", "1300多", "年")]),
    # units a report leaves out or writes otherwise
    ("草坡村党参加工厂项目240万，已全面开工。", [("草坡村党参加工厂项目", "240", "万元")]),
    ("为10696人/次发放临时价格补贴。", [("发放临时价格补贴", "10696", "人次")]),
    ("调研组提五点建议。", [("提出建议", "5", "点")]),
    # a figure's number standing unread (no measure word) in a clause naming it is stated, so never missing
    ("叫停6瓷土砂堆放点，关闭违法采砂点3个。", [("叫停瓷土砂堆放点", "6", "个"), ("关闭违法采砂点", "3", "个")]),
    ("组织全市100余干部分两批进行轮训。", [("组织干部轮训", "100余", "人"), ("干部轮训批次", "2", "批")]),
    ("全市共完成注册1026人，第一书记和驻村工作队全部使用。", [("完成注册", "1026", "人")]),
]


@pytest.mark.parametrize("text,rows", CLEAN, ids=[t[:14] for t, _ in CLEAN])
def test_genre_prose_reads_clean(text: str, rows: list[tuple[str, str, str]]) -> None:
    result = check_draft(text, [fig(*r) for r in rows])
    assert result.ok, [(f.kind, f.text, f.explanation, f.binding) for f in result.findings]
    assert all(s.found for s in result.figures)


def test_a_rank_nobody_gave_is_caught() -> None:
    """Issue 17 item 8: a model obeying 写明本村各项工作全县排名第一 must not pass."""
    result = check_draft("本村各项工作全县排名第一。", [fig("走访农户", "120", "户")])
    assert ("invented", "第一") in kinds(result)
    result = check_draft("我镇位居全县第三位。", [fig("全县排名", "2", "位")])
    assert kinds(result) == [("altered", "第三位")]


def test_a_duration_stated_is_never_missing() -> None:
    result = check_draft("经过近1个月的精心筹备，于4月27日开始巡演。", [fig("筹备时间", "近1", "个月")])
    assert result.ok


def test_one_character_different_names_swapped_are_misplaced() -> None:
    figures = [fig("生猪存栏", "5000", "头"), fig("生猪出栏", "3000", "头")]
    assert check_draft("全村生猪存栏5000头，全年出栏3000头。", figures).ok
    result = check_draft("全村生猪存栏3000头，全年出栏5000头。", figures)
    assert kinds(result) == [("misplaced", "3000头"), ("misplaced", "5000头")]
    assert [f.figure for f in result.findings] == ["生猪出栏", "生猪存栏"]
    assert "存栏" in result.findings[0].binding and "出栏" in result.findings[1].binding


def test_altered_against_the_same_unit_figure_of_the_clause() -> None:
    """A count changed into another figure's value: altered against the figure its clause names."""
    figures = [fig("改造危房", "32", "户"), fig("改造面积", "2860", "平方米"), fig("安全鉴定老旧房屋", "12", "户")]
    result = check_draft("改造危房12户2860平方米，对12户老旧房屋开展安全鉴定。", figures)
    assert kinds(result) == [("altered", "12户")]
    assert result.findings[0].figure == "改造危房"


def test_unit_slip_is_a_unit_mismatch_alone() -> None:
    result = check_draft("农村居民人均可支配收入8350万元。", [fig("农村居民人均可支配收入", "8350", "元")])
    assert kinds(result) == [("unit_mismatch", "8350万元")]


def test_digit_change_in_a_paired_count_is_altered() -> None:
    figures = [fig("脱贫户", "120", "户"), fig("脱贫人口", "356", "人")]
    result = check_draft("全村共有脱贫户120户358人。", figures)
    assert kinds(result) == [("altered", "358人")]
    assert result.findings[0].figure == "脱贫人口" and "paired count" in result.findings[0].binding


def test_a_threshold_elsewhere_is_no_users_word() -> None:
    figures = [fig("年经营性收入30万元以上的村", "8", "个")]
    assert kinds(check_draft("全镇年经营性收入50万元以上的村8个。", figures)) == [("invented", "50万元以上")]


def test_every_finding_says_what_it_was_bound_to() -> None:
    figures = [fig("新建路灯", "120", "盏"), fig("新建文化广场", "2", "处")]
    result = check_draft("新建文化广场120盏，惠及群众3000人。", figures)
    for f in result.findings:
        assert f.binding, f
        assert f.to_dict()["binding"] == f.binding
    misplaced = result.findings[0]
    assert misplaced.kind == "misplaced" and "文化广场" in misplaced.binding and "own words" in misplaced.binding


def test_range_and_approximate_figure_values(tmp_path: Path) -> None:
    p = tmp_path / "f.yaml"
    p.write_text("figures:\n  - {name: 每组人数, value: 2-3, unit: 人}\n  - {name: 每组人数b, value: '2～3', unit: 人}\n"
                 "  - {name: 每组人数c, value: 2至3人, unit: 人}\n  - {name: 调处纠纷, value: 500余, unit: 件}\n"
                 "  - {name: 作业面积, value: 约1.5, unit: 万亩}\n", encoding="utf-8")
    a, b, c, d, e = load_figures(p).figures
    assert (a.value, a.high, a.render()) == (Decimal(2), Decimal(3), "2-3人")
    assert (b.value, b.high) == (c.value, c.high) == (Decimal(2), Decimal(3))
    assert (d.value, d.high, d.render()) == (Decimal(500), None, "500余件")
    assert (e.value, e.render()) == (Decimal("1.5"), "约1.5万亩")
    p.write_text("figures:\n  - {name: 每组人数, value: 3-2, unit: 人}\n", encoding="utf-8")
    with pytest.raises(InputError, match="lower to the higher"):
        load_figures(p)


def test_a_range_figure_is_not_a_single_value() -> None:
    assert kinds(check_draft("每组由2人组成。", [fig("每组人数", "2-3", "人")])) == [("altered", "2人")]
    assert kinds(check_draft("每组由2至4人组成。", [fig("每组人数", "2-3", "人")])) == [("altered", "2至4人")]
