"""Number strategies as objects: every strategy states its plan for every section kind, the
engine follows it, and the reply formats come from drafter/data/prompts/replies.yaml."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from drafter.corpus.kinds import KINDS
from drafter.drafting.engine import STRATEGIES, Engine
from drafter.drafting.prompts import PromptLibrary
from drafter.drafting.replies import grammar, reply_schema
from drafter.drafting.strategies import REGISTRY, Passages, get_strategy, plan_table
from drafter.errors import InputError, PromptError
from drafter.figures import Fact, Figure, FigureSet
from drafter.testing import FakeLLM

METHODS = {"compose", "prose", "weave"}
USER = FigureSet(
    figures=[Figure("设施年维护费用", Decimal("6.4"), "万元", "problems", None, "6.4")],
    title="柳塘村2025年驻村工作总结", organisation="枫林县白沙镇柳塘村驻村工作队", period="2025年",
    facts=[Fact("设施管护资金压力较大", "problems")], names=["柳塘村"],
)
ITEMS = {"items": [{"heading": "产业基础仍然薄弱", "text": "主导产业规模不大，链条较短，抵御市场风险的能力还不强。"},
                   {"heading": "人才支撑力量不足", "text": "年轻人大多外出务工，村里缺少能带头发展产业的本土能人。"}]}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_strategy_states_a_plan_for_every_section_kind(name):
    s = get_strategy(name)
    plans = s.plans()
    assert list(plans) == list(KINDS)
    for kind, plan in plans.items():
        assert plan.method in METHODS, (name, kind)
        assert plan.writer.method == plan.method  # the writer implements the method the plan names
        assert isinstance(plan.passages, Passages)
        assert plan.describe().startswith(plan.method)
    assert plan_table()[name]["work"] == plans["work"].describe()
    assert STRATEGIES[name] == s.description and s.description


def test_the_plans_say_what_each_family_does():
    assert {k: p.method for k, p in get_strategy("free").plans().items()} == {
        "opening": "prose", "work": "prose", "problems": "compose", "next_steps": "compose", "closing": "compose",
        "other": "compose"}
    assert get_strategy("free").plan("work").passages is Passages.KEPT
    assert get_strategy("masked-names").plan("opening").passages is Passages.MASKED_NAMES
    assert get_strategy("slots").plan("problems").passages is Passages.VOICE  # written by compose
    assert all(p.method == "compose" for p in get_strategy("compose").plans().values())
    assert all(p.method == "weave" for p in get_strategy("weave").plans().values())
    with pytest.raises(InputError, match="Unknown number strategy 'nope'"):
        get_strategy("nope")


def test_free_on_problems_follows_its_plan_and_uses_the_compose_prompt():
    llm = FakeLLM(default=json.dumps(ITEMS, ensure_ascii=False))
    engine = Engine(llm, PromptLibrary(), None, strategy="free", schema_ok=True)
    sec = engine.write_section("problems", USER, USER.figures, USER.facts, "二、存在问题")
    assert (sec.strategy, sec.method, sec.prompt) == ("free", "compose", "problems")
    assert llm.requests[0]["response_format"] == {"type": "json_object", "schema": reply_schema("problems", n=2)}
    assert "从数据看，设施年维护费用6.4万元。" in sec.body and sec.check.ok


def test_free_on_work_is_prose_with_the_numbers_shown():
    fs = FigureSet(figures=[Figure("新建改造农村公路", Decimal("4.5"), "公里", "work", None, "4.5")], organisation="柳塘村")
    llm = FakeLLM(default="好的\n一是新建改造农村公路4.5公里，群众出行更加便利。")
    sec = Engine(llm, PromptLibrary(), None, strategy="free").write_section("work", fs, fs.figures, [], "一、工作开展情况")
    assert (sec.method, sec.prompt) == ("prose", "work-prose")
    assert llm.requests[0]["response_format"] is None and llm.requests[0]["grammar"] is None
    assert sec.body == "一是新建改造农村公路4.5公里，群众出行更加便利。"  # the chat opener is no report text


def test_a_prompt_written_for_another_method_is_an_error_not_a_silent_switch():
    engine = Engine(FakeLLM(default="x"), PromptLibrary(), None, strategy="weave", variant="concise")
    with pytest.raises(PromptError, match="work-concise.*'compose' method.*'weave' strategy"):
        engine._prompt("work")


def test_grammar_strategy_needs_a_grammar_backend_and_sends_the_no_digits_grammar():
    with pytest.raises(InputError, match="'grammar' strategy needs the embedded"):
        Engine(FakeLLM(default="x"), PromptLibrary(), None, strategy="grammar")
    assert get_strategy("grammar").reply_format("work") == grammar("no_digits")
    assert 'slot ::= "【" [1-9] [0-9]? "】"' in grammar("no_digits")


def test_reply_schemas_are_the_prompts_json():
    assert reply_schema("work", keys=["甲", "乙"]) == {
        "type": "object", "required": ["intro", "甲", "乙"],
        "properties": {"intro": {"type": "string", "maxLength": 100}, "甲": {"type": "string", "maxLength": 90},
                       "乙": {"type": "string", "maxLength": 90}}}
    item = {"type": "object", "properties": {"heading": {"type": "string", "maxLength": 24},
                                             "text": {"type": "string", "maxLength": 110}}, "required": ["heading", "text"]}
    assert reply_schema("next_steps", n=3) == {
        "type": "object", "properties": {"items": {"type": "array", "items": item, "minItems": 3, "maxItems": 3}},
        "required": ["items"]}
    assert reply_schema("closing")["properties"]["text"]["maxLength"] == 120
    assert reply_schema("other") == reply_schema("opening")
    assert reply_schema("opening")["properties"]["text"]["maxLength"] == 200
    reply_schema("work", keys=["丙"])["properties"].clear()  # a fresh dict each call
    assert "intro" in reply_schema("work")["properties"]
