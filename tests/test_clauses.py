"""Figure clauses as the genre writes them (drafter.drafting.clauses), checked on a table of name shapes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from drafter.guard.check import check_draft
from drafter.drafting.clauses import build_clauses, fact_clause, figure_clause, figure_role, to_script, user_words
from drafter.figures import Fact, Figure, figures_from_data
from drafter.guard.genre import check_genre

CASES = yaml.safe_load((Path(__file__).parent / "clause_cases.yaml").read_text(encoding="utf-8"))


def fig(name: str, value: str, unit: str, role: str | None = None) -> Figure:
    return Figure(name, Decimal(value), unit, value_text=value, role=role)


def test_the_table_has_at_least_forty_name_shapes():
    assert len(CASES) >= 40
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_clause_by_name_shape(case):
    f = fig(case["name"], case["value"], case["unit"])
    assert figure_role(f) == case["role"]
    for kind in ("work", "next_steps", "problems"):
        assert figure_clause(f, kind) == case[kind], kind


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_clause_is_bound_by_the_number_guard_and_reads_as_the_genre(case):
    """The clause Drafter writes is clean to its own guard and to the genre check, in every section."""
    f = fig(case["name"], case["value"], case["unit"])
    for kind in ("work", "next_steps", "problems"):
        if case["role"] in ("base", "problem") and kind == "next_steps":
            continue  # base data and problems are never planned
        text = figure_clause(f, kind) + "。"
        result = check_draft(text, [f])
        assert result.ok, (kind, text, result.findings)
        broken = [g for g in check_genre(text, kind, figures=[f]) if g.kind in ("broken_clause", "figure_name", "name_as_measure")]
        assert not broken, (kind, text, broken)


def test_verb_led_names_take_the_value_and_modal_names_get_no_second_modal():
    assert figure_clause(fig("退出贫困村", "14", "个")) == "退出贫困村14个"
    assert figure_clause(fig("力争新建产业路", "45", "公里"), "next_steps") == "力争新建产业路45公里"
    assert figure_clause(fig("仍有贫困人口", "120", "人"), "problems") == "仍有贫困人口120人"
    assert figure_clause(fig("新建产业路", "45", "公里"), "next_steps") == "计划新建产业路45公里"


def test_money_levels_verbal_nouns_facilities_and_base_counts():
    assert figure_clause(fig("各项惠农补贴", "0.86", "亿元")) == "发放各项惠农补贴0.86亿元"
    assert figure_clause(fig("自来水入户率", "98", "%")) == "自来水入户率达到98%"
    assert figure_clause(fig("贫困发生率", "0.9", "%")) == "贫困发生率降至0.9%"
    assert figure_clause(fig("2022年度高标准农田建设", "1500", "亩")) == "完成2022年度高标准农田建设1500亩"
    assert figure_clause(fig("村级光伏电站", "3", "座")) == "建成村级光伏电站3座"
    assert figure_clause(fig("辖乡镇", "9", "个"), "opening") == "辖9个乡镇"


def test_role_field_overrides_the_inferred_role():
    assert figure_role(fig("村集体经济收入", "3.2", "万元")) == "result"
    assert figure_role(fig("村集体经济收入", "3.2", "万元", role="problem")) == "problem"
    assert figure_clause(fig("村集体经济收入", "3.2", "万元", role="problem"), "problems") == "村集体经济收入为3.2万元"


def test_figures_file_role_is_read_and_checked(tmp_path):
    fs = figures_from_data({"figures": [{"name": "幅员面积", "value": 1320, "unit": "平方公里", "role": "base"}]}, tmp_path / "f.yaml")
    assert fs.figures[0].role == "base"
    from drafter.errors import InputError

    with pytest.raises(InputError, match="role 'basis' is not one of"):
        figures_from_data({"figures": [{"name": "幅员面积", "value": 1320, "unit": "平方公里", "role": "basis"}]}, tmp_path / "f.yaml")


def test_a_level_and_its_change_are_one_clause_and_paired_counts_too():
    clauses = build_clauses([fig("农业总产值", "8.6", "亿元"), fig("农业总产值增速", "6.1", "%"),
                             fig("开展培训", "18", "期"), fig("培训人次", "1200", "人次"),
                             fig("脱贫户", "98", "户"), fig("脱贫人口", "357", "人"),
                             fig("资助学生", "40", "人"), fig("资助金额", "6.5", "万元")])
    assert [c.text for c in clauses] == ["农业总产值8.6亿元，增长6.1%", "开展培训18期、1200人次", "有脱贫户98户357人",
                                         "资助学生40人6.5万元"]
    assert [len(c.figures) for c in clauses] == [2, 2, 2, 2]


def test_user_words_are_converted_character_by_character():
    # a phrase profile (tw2sp) would write 添加 for 新增 and 项目 for 專案
    assert user_words("新增省級示範家庭農場") == "新增省级示范家庭农场"
    assert user_words("1680萬元") == "1680万元"
    assert figure_clause(fig("新增省級示範家庭農場", "6", "家")) == "新增省级示范家庭农场6家"
    assert figure_clause(fig("安装太阳能路灯", "60", "盏"), script="traditional") == "安裝太陽能路燈60盞"
    assert fact_clause(Fact("完成專案驗收。")).text == "完成专案验收"


def test_traditional_output_keeps_the_users_words():
    text = "新增省级示范家庭农场6家，群众满意度进一步提升。"
    out = to_script(text, "traditional", ["新增省級示範家庭農場"])
    assert out.startswith("新增省級示範家庭農場6家")
    assert to_script(text, "simplified", []) == text


def test_the_checker_reads_the_clause_writers_change_verbs():
    """One change-verb lexicon: every change word the clause writer knows is a change to the checker."""
    from drafter.data import load_yaml
    from drafter.guard.matching import _verb_clash

    words = load_yaml("clause_words.yaml")
    for w in words["change_verbs"]:
        assert _verb_clash(f"村集体经济收入{w}", "收入增至"), w
    for w in (v for v in words["change_verbs"] if words["change_as_written"][v] == v):
        assert _verb_clash("人均纯收入达到", f"人均纯收入{w}"), w
