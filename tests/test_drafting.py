"""The drafting engine with a scripted fake LLM and the hash embedder: numbers by construction,
strategies, budgets, whole reports, JSON and Word output, CLI exit codes."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from drafter.api import Drafter
from drafter.drafting.compose import clean_model_text, figure_clause, group_by_topic, ordinal
from drafter.drafting.engine import Engine
from drafter.drafting.strategies.prose import fill_slots, mask_numbers
from drafter.index.embeddings import HashEmbedder
from drafter.errors import InputError, PromptError
from drafter.figures import Fact, Figure, FigureSet, load_figures
from drafter.drafting.prompts import PromptLibrary
from drafter.testing import FakeLLM
from conftest import BUNDLED_CORPUS

EXAMPLE = BUNDLED_CORPUS / "figures-example.yaml"


def fig(name, value, unit, section=None):
    return Figure(name, Decimal(value), unit, section, None, value)


def json_writer(messages):
    """A fake model answering the compose prompts, trying to sneak numbers and names in."""
    user = messages[-1]["content"]
    if "intro" in user:
        heads = re.findall(r"^\d+\. (\S+?)（涉及", user, flags=re.M)
        leads = {h: "聚焦群众急难愁盼，持续用力抓落实。" for h in heads}
        leads[heads[0]] = "坚持问题导向，着力补齐短板，新建道路4.6公里。"
        return json.dumps({"intro": "一年来，工作队围绕乡村振兴总要求扎实开展各项工作。", **leads}, ensure_ascii=False)
    if '"items"' in user:
        n = int(re.search(r"恰好 (\d+) 条", user).group(1))
        items = [{"heading": "产业基础仍然薄弱", "text": "主导产业规模不大，链条较短，抵御市场风险的能力还不强。"},
                 {"heading": "人才支撑力量不足", "text": "年轻人大多外出务工，村里缺少能带头发展产业的本土能人。"},
                 {"heading": "群众参与热情有待提高", "text": "部分群众等靠要思想仍然存在，主动参与村级事务的积极性不高。"},
                 {"heading": "管护机制尚不健全", "text": "已建成设施重建设轻管护，日常维护的责任和经费落实不到位。"}]
        return json.dumps({"items": items[:n]}, ensure_ascii=False)
    return json.dumps({"text": "在县委县政府的坚强领导下，工作队扎实推进各项工作，取得明显成效。现将有关情况报告如下。"}, ensure_ascii=False)


@pytest.fixture
def drafter(tmp_path):
    d = Drafter(llm=FakeLLM(default=json_writer), embedder=HashEmbedder(), store=tmp_path / "store", strategy="compose")
    return d


def test_clause_building_and_grouping():
    assert figure_clause(fig("新建改造农村公路", "4.5", "公里")) == "新建改造农村公路4.5公里"
    assert figure_clause(fig("脱贫户人均纯收入", "15630", "元")) == "脱贫户人均纯收入达到15630元"
    assert figure_clause(fig("村集体经济收入增长", "8.5", "%")) == "村集体经济收入增长8.5%"
    assert figure_clause(fig("新建高标准农田", "500", "亩"), "next_steps") == "计划新建高标准农田500亩"
    groups = group_by_topic([fig("安装太阳能路灯", "60", "盏"), fig("开展技能培训", "460", "人次")], [Fact("成立村红白理事会")])
    assert [g.heading for g in groups] == ["完善基础设施建设", "促进群众就业增收", "推进乡风文明建设"]
    assert ordinal(3) == "三" and ordinal(12) == "十二"


def test_model_text_with_numbers_or_prompt_echoes_is_dropped():
    text, dropped = clean_model_text("**坚持问题导向。**全年新建道路4.6公里。群众满意度明显提升")
    assert text == "坚持问题导向。群众满意度明显提升。"
    assert dropped == ["全年新建道路4.6公里。"]
    prompt = "为“某村驻村工作队”的工作报告写开头一段（导语），说明围绕什么目标开展工作。"
    text, dropped = clean_model_text("为“某村驻村工作队”的工作报告写开头一段。工作队扎实推进各项工作。", echo_of=prompt)
    assert text == "工作队扎实推进各项工作。" and len(dropped) == 1


def test_mask_and_slots():
    assert "4.6" not in mask_numbers("新建道路4.6公里，培训1000余人次。") and "××" in mask_numbers("新建道路4.6公里")
    figs = [fig("新建道路", "4.5", "公里"), fig("培训", "460", "人次")]
    assert fill_slots("新建道路【1】公里，培训【2】。", figs) == "新建道路4.5公里，培训460人次。"


def test_work_section_has_every_figure_exactly_and_nothing_else(drafter):
    fs = load_figures(EXAMPLE)
    draft = drafter.write(fs, sections=["work"])
    sec = draft.sections[0]
    assert sec.heading == "一、工作开展情况"
    assert draft.ok, sec.check.findings
    for f in fs.for_section("work"):
        assert sec.body.count(f.render()) == 1
    assert "4.6公里" not in sec.body and any("4.6公里" in d for d in sec.dropped)
    assert "（一）" in sec.body and "一是" in sec.body
    for fact in fs.facts_for("work"):
        assert fact.text in sec.body
    assert sec.sources and all(s.report for s in sec.sources)
    # passages reached the prompt as numeral-free excerpts
    prompt = sec.messages[-1]["content"]
    assert "参考本单位以往报告的文风" in prompt and not re.search(r"\d", prompt.split("文风")[1].split("示例")[0])


def test_whole_report_order_numbering_and_json(drafter):
    figs = [fig("新建改造农村公路", "4.5", "公里"), fig("开展技能培训", "460", "人次"), fig("新建高标准农田", "500", "亩", "next_steps"),
            fig("自来水入户率", "98", "%", "opening")]
    fs = FigureSet(figs, organisation="测试村驻村工作队", period="2025年", facts=[Fact("产业链条短", "problems")])
    draft = drafter.write(fs)
    kinds = [s.kind for s in draft.sections]
    assert kinds == ["opening", "work", "problems", "next_steps"]
    assert [s.heading for s in draft.sections] == ["", "一、工作开展情况", "二、存在问题", "三、下步工作打算"]
    assert draft.ok, draft.check.findings
    md = draft.markdown()
    assert md.index("一、工作开展情况") < md.index("二、存在问题") < md.index("三、下步工作打算")
    assert "98%" in draft.sections[0].body and "500亩" in draft.sections[3].body and "产业链条短" in draft.sections[2].body
    data = draft.to_dict()
    assert data["ok"] and len(data["sections"]) == 4 and data["sections"][1]["sources"]
    trad = drafter.write(fs, sections=["work"], script="traditional")
    assert "工作開展情況" in trad.text and "4.5公里" in trad.text


def test_prose_strategy_repair_round_and_marking(tmp_path):
    llm = FakeLLM(["一是新建改造农村公路4.6公里；二是开展技能培训460人次。", "一是新建改造农村公路4.6公里；二是开展技能培训460人次。"])
    d = Drafter(llm=llm, embedder=HashEmbedder(), store=tmp_path / "s", strategy="compose")
    fs = FigureSet([fig("新建改造农村公路", "4.5", "公里"), fig("开展技能培训", "460", "人次")], organisation="测试村")
    d.settings.repair_rounds = 1
    draft = d.write(fs, sections=["work"], strategy="free")
    assert len(llm.requests) == 2 and "问题" in llm.requests[1]["messages"][-1]["content"]
    assert not draft.ok and {f.kind for f in draft.check.findings} >= {"altered"}
    assert "〔待核：" in draft.markdown()


def test_slots_strategy_fills_markers(tmp_path):
    llm = FakeLLM(["一是新建改造农村公路【1】；二是开展技能培训【2】人次。"])
    d = Drafter(llm=llm, embedder=HashEmbedder(), store=tmp_path / "s", strategy="compose")
    fs = FigureSet([fig("新建改造农村公路", "4.5", "公里"), fig("开展技能培训", "460", "人次")], organisation="测试村")
    draft = d.write(fs, sections=["work"], strategy="slots")
    assert "4.5公里" in draft.sections[0].body and "460人次" in draft.sections[0].body and "人次人次" not in draft.sections[0].body
    assert "【1】" in llm.requests[0]["messages"][-1]["content"] and "4.5" not in llm.requests[0]["messages"][-1]["content"]


def test_budget_drops_passages_then_errors(tmp_path):
    d = Drafter(llm=FakeLLM(default=json_writer), embedder=HashEmbedder(), store=tmp_path / "s", strategy="compose")
    prompts = tmp_path / "p"
    prompts.mkdir()
    body = (PromptLibrary().get("work").path.read_text(encoding="utf-8")).replace("context: 1400", "context: 700")
    (prompts / "work.md").write_text(body, encoding="utf-8")
    draft = d.write(load_figures(EXAMPLE), sections=["work"], prompts_dir=prompts)
    assert draft.sections[0].passages_used < 4
    (prompts / "work.md").write_text(body.replace("context: 700", "context: 50"), encoding="utf-8")
    with pytest.raises(PromptError, match="figures and facts alone"):
        d.write(load_figures(EXAMPLE), sections=["work"], prompts_dir=prompts)


def test_docx_layout(drafter, tmp_path):
    from docx import Document

    from drafter.output.word import docx_bytes

    draft = drafter.write(load_figures(EXAMPLE))
    path = tmp_path / "d.docx"
    path.write_bytes(docx_bytes(draft))
    doc = Document(str(path))
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Drafter Title", "Drafter Body", "Drafter Heading 1", "Drafter Heading 2"} <= styles
    assert doc.styles["Drafter Body"].font.name == "仿宋_GB2312" and doc.styles["Drafter Body"].font.size.pt == 16
    assert doc.styles["Drafter Title"].font.size.pt == 22 and doc.styles["Drafter Heading 1"].font.name == "黑体"
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297 and round(sec.top_margin.mm) == 37
    assert "PAGE" in sec.footer._element.xml


def test_cli_write_exit_codes(tmp_path, monkeypatch):
    from drafter.cli import main as cli_main

    fake = FakeLLM(default=json_writer)
    real_init = Drafter.__init__

    def init(self, settings=None, llm=None, embedder=None, **kw):
        real_init(self, settings, llm=fake, embedder=HashEmbedder(), **kw)

    monkeypatch.setattr(Drafter, "__init__", init)
    runner = CliRunner()
    res = runner.invoke(cli_main.app, ["write", "--figures", str(EXAMPLE), "--section", "work", "-q"], standalone_mode=False)
    assert res.exit_code == 0, res.output
    assert "4.5公里" in res.output and "一、工作开展情况" in res.output
    out = tmp_path / "d.json"
    res = runner.invoke(cli_main.app, ["write", "-f", str(EXAMPLE), "-s", "work", "-q", "-o", str(out)], standalone_mode=False)
    assert json.loads(out.read_text(encoding="utf-8"))["ok"] is True
    before = out.read_bytes()
    res = runner.invoke(cli_main.app, ["write", "-f", str(EXAMPLE), "-s", "work", "-q", "-o", str(out)], standalone_mode=False)
    assert isinstance(res.exception, InputError) and out.read_bytes() == before


def test_outline_file_orders_and_names_sections(drafter, tmp_path):
    outline = tmp_path / "outline.yaml"
    outline.write_text("- {kind: work, heading: 主要工作及成效}\n- next_steps\n", encoding="utf-8")
    fs = FigureSet([fig("新建改造农村公路", "4.5", "公里"), fig("新建高标准农田", "500", "亩", "next_steps")], organisation="测试村")
    draft = drafter.write(fs, outline=outline)
    assert [s.heading for s in draft.sections] == ["一、主要工作及成效", "二、下步工作打算"]
    assert draft.ok and "500亩" in draft.sections[1].body
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {kind: 花絮}\n", encoding="utf-8")
    with pytest.raises(InputError, match="item 1"):
        drafter.write(fs, outline=bad)
    fs_extra = FigureSet([fig("新建改造农村公路", "4.5", "公里"), fig("安装路灯", "6", "盏", "opening")], organisation="测试村")
    with pytest.raises(InputError, match="outline does not have"):
        drafter.write(fs_extra, outline=outline)
