"""The name guard (issue 7): names found, stale names reported, names masked; and the engine
keeping other places' names out of a draft."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from drafter import check_draft
from drafter.guard.check import allowed_text
from drafter.drafting.compose import clean_model_text, stale_sentence_filter, voice_excerpt
from drafter.drafting.engine import STRATEGIES, Engine
from drafter.figures import Fact, Figure, FigureSet
from drafter.guard.names import extract_names, find_stale_names, mask_names
from drafter.drafting.prompts import PromptLibrary
from drafter.testing import FakeLLM

# An old report of another town (the shared corpus's 彙報1, shortened; traditional script).
OLD = (
    "按照中央和省、市、區關於實施鄉村振興戰略工作部署，仙河鎮立足區域實際，整合油地軍港資源優勢。"
    "繼續保持仙河澳亞、神州澳亞兩大萬頭奶牛牧場滿欄生產。實施海星村經濟林專案，專案位於海星村東養殖場路兩側。"
    "新建海星村綜治中心1處。除海星村依託海星集團有較為穩定收入外，其他村集體經濟均較為薄弱。"
    "規劃實施“牧場小鎮”旅遊專案。市委書記楊健現場調研。堅持問題導向，著力補齊短板，推動各項工作落地見效。"
)

USER = FigureSet(
    figures=[Figure("新建村綜治中心", Decimal("2"), "處", "work", None, "2"),
             Figure("完成天然氣村村通改造", Decimal("92"), "戶", "work", None, "92")],
    title="东滩镇2025年上半年乡村振兴工作总结",
    organisation="东滩镇人民政府",
    period="2025年上半年",
    facts=[Fact("各行政村建成红白理事会", "work"), Fact("与县农科院签订合作协议", "work")],
    names=["東灘鎮", "东滩镇乡村振兴示范片", "东滩村股份经济合作社"],
)

CLEAN = (
    "上半年，东滩镇坚持党建引领，扎实推进乡村振兴各项工作。一是新建村综治中心2处；"
    "二是完成天然气村村通改造92户；三是各行政村建成红白理事会；四是与县农科院签订合作协议，"
    "东滩镇乡村振兴示范片建设有序推进，东滩村股份经济合作社运行良好。"
)


def names(text: str) -> list[tuple[str, str]]:
    return [(n.text, n.kind) for n in extract_names(text)]


@pytest.mark.parametrize("text, expected", [
    ("实施海星村经济林项目", [("海星村", "village")]),
    ("仙河鎮立足區域實際", [("仙河鎮", "town")]),
    ("垃圾全部转运至盱眙县垃圾焚烧发电厂", [("盱眙县", "county")]),
    ("到乌衣屯与红岩村协调", [("乌衣屯", "village"), ("红岩村", "village")]),
    ("做了良信屯塌方路段步道", [("良信屯", "village")]),
    ("目前草坡村、斜坡村已全部完成", [("草坡村", "village"), ("斜坡村", "village")]),
    ("除海星村依托海星集团有较为稳定收入外", [("海星村", "village"), ("海星集团", "enterprise")]),
    ("规划实施“牧场小镇”旅游专案", [("牧场小镇", "project")]),
    ("扎实开展“九大工程”", [("九大工程", "project")]),
    ("市委书记杨健亲自作动员报告", [("杨健", "person")]),
    ("协助园区鸿星尔克、三宝、季茜等企业招聘员工", [("鸿星尔克", "enterprise"), ("三宝", "enterprise"), ("季茜", "enterprise")]),
])
def test_names_of_the_genre_are_found(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize("text", [
    "全面推进乡村振兴，发展壮大村集体经济，建强村党组织。",
    "村委会和党支部带领全村群众，成立村红白理事会，推动移风易俗。",
    "部分村集体经济薄弱，行政村和自然村之间发展不平衡，城镇化水平不高。",
    "依托农民专业合作社和家庭农场，引进种植、养殖、加工等企业，带动脱贫户增收。",
    "坚持“两不愁三保障”标准，落实“四个不摘”要求，开展“春风行动”。",
    "各乡镇结合镇域实际，精准施策，配合卫健部门开展工作，包村干部驻村入户。",
])
def test_common_nouns_and_policy_terms_are_not_names(text):
    assert names(text) == []


def test_either_script_gives_the_same_names():
    assert [n.key for n in extract_names("東灘鎮與鴻星爾克、三寶等企業合作")] == \
           [n.key for n in extract_names("东滩镇与鸿星尔克、三宝等企业合作")]


def test_stale_name_catches_the_planted_name():
    draft = CLEAN.replace("一是新建村综治中心2处", "一是新建海星村综治中心2处")
    found = find_stale_names(draft, [OLD], allowed_text(USER))
    assert [(f.kind, f.text) for f in found] == [("stale_name", "海星村")]
    assert draft[found[0].start:found[0].end] == "海星村"
    assert "context passages" in found[0].explanation


def test_stale_name_is_silent_on_a_clean_draft_with_the_users_names():
    assert find_stale_names(CLEAN, [OLD], allowed_text(USER)) == []
    assert check_draft(CLEAN, USER, context=[OLD]).ok


def test_stale_names_of_every_kind_and_either_script():
    draft = "学习仙河镇经验，对接海星集团，推进“牧场小镇”建设，杨健书记调研指导。"
    found = find_stale_names(draft, [OLD], allowed_text(USER))
    assert [f.text for f in found] == ["仙河镇", "海星集团", "牧场小镇", "杨健"]


def test_a_name_is_stale_only_when_the_passages_have_it():
    # 青禾村 is not the user's, but no passage has it: not stale (the number guard's 'invented' has no name twin)
    assert find_stale_names("学习青禾村经验。", [OLD], allowed_text(USER)) == []
    assert find_stale_names("学习海星村经验。", [], allowed_text(USER)) == []


def test_names_list_and_header_fields_make_a_name_the_users():
    draft = "学习海星村经验。"
    assert find_stale_names(draft, [OLD], "海星村") == []
    own = FigureSet(figures=[], organisation="仙河镇海星村驻村工作队")
    assert check_draft(draft, own, context=[OLD]).ok


def test_check_draft_with_a_list_of_figures_allows_only_figure_names():
    result = check_draft("东滩镇新建村综治中心2处。", USER.figures[:1], context=["东滩镇新建村综治中心1处。"])
    assert [(f.kind, f.text) for f in result.findings] == [("stale_name", "东滩镇")]
    assert check_draft("东滩镇新建村综治中心2处。", USER.figures[:1]).ok  # no context: no name check


def test_findings_are_in_draft_order_with_number_findings():
    draft = "新建海星村综治中心1处，完成天然气村村通改造92户。"
    result = check_draft(draft, USER, context=[OLD])
    kinds = [(f.kind, f.text) for f in result.findings]
    assert kinds[:2] == [("stale_name", "海星村"), ("altered", "1处")]


def test_mask_names_by_kind_keeps_the_users_names():
    masked = mask_names("仙河鎮依託海星集團發展海星村集體經濟，東灘鎮學習借鑒。", allowed_text(USER))
    assert masked == "某镇依託某集团發展某村集體經濟，東灘鎮學習借鑒。"
    assert "海星" not in mask_names(OLD) and "仙河" not in mask_names(OLD)


def test_voice_excerpt_leaves_out_sentences_naming_other_places():
    excerpt = voice_excerpt(OLD, 400, allowed_text(USER))
    assert excerpt == "坚持问题导向，着力补齐短板，推动各项工作落地见效。"
    assert "海星" in voice_excerpt(OLD, 400)  # without the user's words: as before


def test_model_sentences_with_stale_names_are_dropped():
    reject = stale_sentence_filter([OLD], allowed_text(USER))
    text, dropped = clean_model_text("学习借鉴海星村的好经验，推动产业发展。东滩镇坚持党建引领，凝聚发展合力。", reject=reject)
    assert text == "东滩镇坚持党建引领，凝聚发展合力。"
    assert dropped == ["学习借鉴海星村的好经验，推动产业发展。"]


# ------------------------------------------------------------------ the engine


def _hit(text: str, i: int = 0) -> SimpleNamespace:
    chunk = SimpleNamespace(text=text, report_title="乡村振兴驻村工作情况汇报1", section_path=["一、工作开展情况"],
                            id=f"chunk{i}", source="old.txt")
    return SimpleNamespace(chunk=chunk, score=1.0 - i / 10)


def _writer(messages):
    user = messages[-1]["content"]
    if "intro" in user:
        reply = {"intro": "学习借鉴海星村的好经验，全镇上下凝心聚力推进乡村振兴。东滩镇坚持党建引领，扎实推进各项工作。"}
        for line in user.splitlines():
            if line[:1].isdigit() and "（涉及" in line:
                reply[line.split(". ", 1)[1].split("（")[0]] = "坚持问题导向，着力补齐短板，推动工作落地见效。"
        return json.dumps(reply, ensure_ascii=False)
    return "一是新建海星村综治中心2处；二是完成天然气村村通改造92户；三是各行政村建成红白理事会，与县农科院签订合作协议。"


def _engine(strategy: str, llm: FakeLLM) -> Engine:
    return Engine(llm, PromptLibrary(), retrieve=lambda kind, figures, facts: [_hit(OLD)], strategy=strategy,
                  repair_rounds=0)


def test_compose_keeps_other_places_out_and_mentions_every_fact():
    llm = FakeLLM(default=_writer)
    sec = _engine("compose", llm).write_section("work", USER, USER.figures, USER.facts, "一、工作开展情况")
    assert "海星" not in sec.body and "仙河" not in sec.body
    assert any("海星村" in d for d in sec.dropped)
    assert all(f.text in sec.body for f in USER.facts)
    assert sec.check.ok, sec.check.findings
    prompt = llm.requests[0]["messages"][-1]["content"]
    assert "海星" not in prompt and "仙河" not in prompt  # the excerpts left those sentences out


def test_masked_names_strategy_masks_names_and_numbers_in_passages():
    assert "masked-names" in STRATEGIES
    llm = FakeLLM(default=_writer)
    sec = _engine("masked-names", llm).write_section("work", USER, USER.figures, USER.facts, "一、工作开展情况")
    prompt = llm.requests[0]["messages"][-1]["content"]
    assert "某村" in prompt and "某镇" in prompt and "海星" not in prompt and "仙河" not in prompt
    assert "××" in prompt  # numbers masked too
    # the check still sees the original passages: the model's 海星村 is stale, and marked
    assert [(f.kind, f.text) for f in sec.check.findings] == [("stale_name", "海星村")]
    assert "〔待核：海星村〕" in sec.marked_body()
