"""The weave strategy: the model writes the prose, Drafter keeps every figure clause (scripted model)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from conftest import BUNDLED_CORPUS
from drafter.api import Drafter
from drafter.drafting.clauses import Clause
from drafter.drafting.engine import STRATEGIES, Engine
from drafter.index.embeddings import HashEmbedder
from drafter.figures import Fact, Figure, FigureSet, load_figures
from drafter.drafting.lengths import parse_lengths, section_targets
from drafter.drafting.prompts import PromptLibrary
from drafter.drafting.section_plan import basis_prefix, place_of, plan_next_steps, plan_problems, plan_work
from drafter.testing import FakeLLM
from drafter.drafting.weave import Paragraph, Reply, assemble, clean_reply, grammar, split_reply
from drafter.errors import InputError

EXAMPLE = BUNDLED_CORPUS / "figures-example.yaml"
CN = "一二三四五六七八九十"


def fig(name, value, unit, section=None, role=None):
    return Figure(name, Decimal(value), unit, section, None, value, role=role)


def _items(user: str) -> list[str]:
    """The items the prompt asks to write verbatim (the list after its header line, up to a blank line)."""
    m = re.search(r"(?:事项|依据|安排|基本情况)[^\n]*一字不改[^\n]*\n((?:(?:\d+\. |- ).+\n?)+)", user)
    return re.findall(r"^(?:\d+\. |- )(.+)$", m.group(1), flags=re.M) if m else []


def writer(messages) -> str:
    """A model that honours the plan: lead, each item verbatim with an effect, close (worded by topic)."""
    user = messages[-1]["content"]
    items = _items(user)
    topic = (re.search(r"^(?:小节|存在的问题|下一步的工作)：(.+)$", user, flags=re.M) or re.search("(.)", "工作")).group(1)
    if "开头一段" in user:
        return "围绕产业发展、基础设施和民生改善扎实推进各项工作。" + "".join(f"{it}。" for it in items) + "各项工作取得了阶段性成效。"
    if "结尾一段" in user:
        return "下一步，我们将坚持问题导向，锐意进取、真抓实干，推动乡村全面振兴取得新的更大成效。"
    if "存在的问题" in user or "下一步的工作" in user:
        head = f"部分群众对{topic}的参与还不够积极，{topic}的基础仍然薄弱。"
        body = "".join(f"{it}，有关工作还有不小差距；" for it in items).rstrip("；")
        return head + (body + "。" if body else "") + ("" if items else f"在一定程度上影响了{topic}的成效。")
    lead = f"坚持把{topic}作为重要抓手，统筹资金、加强协调、狠抓落实。"
    parts = [f"{it}，有效改善了群众的生产生活条件" for it in items]
    sep = "；" if len(items) > 1 else ""
    return lead + sep.join(parts) + f"。通过一系列举措，{topic}取得了明显成效。"


@pytest.fixture
def drafter(tmp_path):
    return Drafter(llm=FakeLLM(default=writer), embedder=HashEmbedder(), store=tmp_path / "store", strategy="weave")


def test_weave_is_a_named_strategy():
    assert "weave" in STRATEGIES


# ---------------------------------------------------------------- paragraph mechanics


def _para(n: int = 2) -> Paragraph:
    clauses = [Clause("新建改造农村公路4.5公里"), Clause("安装太阳能路灯60盏")][:n]
    return Paragraph("work", clauses, heading="完善基础设施建设", enumerate=n > 1, target=200)


def test_grammar_holds_every_clause_in_order_and_no_digits_elsewhere():
    g = grammar(_para(), forbid="将")
    assert 'c0 ::= "一是新建改造农村公路4.5公里"' in g and 'c1 ::= "二是安装太阳能路灯60盏"' in g
    root = g.splitlines()[0]
    assert root.index("c0") < root.index("c1") < root.index("close")
    ch = next(ln for ln in g.splitlines() if ln.startswith("ch ::="))
    assert "0-9" in ch and "A-Za-z" in ch and "将" in ch and "\\n" in ch
    assert re.search(r"lead ::= \(.*\"坚持\"", g)  # the genre's lead words, not 本小节的思路是…


def test_split_reply_strict_and_tolerant():
    p = _para()
    text = "坚持统筹推进设施建设。一是新建改造农村公路4.5公里，群众出行更加便捷；二是安装太阳能路灯60盏，夜间出行更加安全。通过一系列举措，村容村貌明显改善。"
    r = split_reply(text, p)
    assert r.lead == "坚持统筹推进设施建设" and r.effects == ["群众出行更加便捷", "夜间出行更加安全"]
    assert r.close == "通过一系列举措，村容村貌明显改善"
    assert split_reply(text.replace("4.5公里", "4.6公里"), p) is None  # a clause altered
    doubled = text.replace("群众出行更加便捷", "二是安装太阳能路灯60盏")
    assert split_reply(doubled, p) is None  # strict: a clause twice
    tolerant = split_reply(doubled, p, strict=False)  # a grammar placed the clauses: found by their markers
    assert tolerant is not None and tolerant.effects[0] == "二是安装太阳能路灯60盏"


def test_clean_reply_drops_faulty_parts_and_prunes_a_faulty_clause():
    p = _para()
    reply = Reply(lead="坚持把设施建设作为重点，统筹推进道路和照明建设，采取了以下措施", effects=["修建道路三公里", "夜间出行更加安全"],
                  close="通过一系列举措，村容村貌明显改善")

    def check(part, text):
        if re.search(r"[三]公里", text):
            return "a number"
        return "prompt words" if "以下" in text else ""

    kept, dropped = clean_reply(reply, p, check)
    assert kept.lead == "坚持把设施建设作为重点，统筹推进道路和照明建设"
    assert kept.effects == ["", "夜间出行更加安全"]
    assert any(d.startswith("a number") for d in dropped)
    text = assemble(kept, p)
    assert text == ("坚持把设施建设作为重点，统筹推进道路和照明建设。一是新建改造农村公路4.5公里；"
                    "二是安装太阳能路灯60盏，夜间出行更加安全。通过一系列举措，村容村貌明显改善。")


# ---------------------------------------------------------------- plans


def test_work_plan_groups_by_topic_and_never_enumerates_past_five():
    figures = [fig(f"新建改造农村公路{i}段", "1", "公里") for i in range(7)] + [fig("开展技能培训", "460", "人次")]
    blocks = plan_work(figures, [Fact("成立村红白理事会")], 1100)
    assert [b.heading for b in blocks] == ["完善基础设施建设", "促进群众就业增收", "推进乡风文明建设"]
    sizes = [len(p.clauses) for p in blocks[0].paragraphs]
    assert sizes == [4, 3] and blocks[0].paragraphs[0].lead and not blocks[0].paragraphs[0].close


def test_problem_items_carry_their_evidence_and_generic_problems_are_said():
    blocks, generic = plan_problems([fig("集体经济年收入不足5万元的村", "3", "个", "problems")],
                                    [Fact("村集体经济增收渠道单一", "problems")], 300)
    assert not generic and len(blocks) == 1  # the figure stands in the problem of its topic
    p = blocks[0].paragraphs[0]
    assert p.title == "村集体经济增收渠道单一" and [c.text for c in p.clauses] == ["集体经济年收入不足5万元的村3个"]
    blocks, generic = plan_problems([], [], 300, work_topics=["完善基础设施建设", "推动产业发展壮大"])
    assert generic and [b.paragraphs[0].title for b in blocks] == ["基础设施仍有短板", "产业发展基础仍然薄弱"]


def test_plans_stand_with_their_targets_and_fill_up_from_the_work():
    blocks = plan_next_steps([fig("新建改造农村公路", "12", "公里", "next_steps")], [], 400, work_topics=["推动产业发展壮大"])
    titles = [b.paragraphs[0].title for b in blocks]
    assert titles[0] == "持续完善基础设施" and [c.text for c in blocks[0].paragraphs[0].clauses] == ["计划新建改造农村公路12公里"]
    assert "持续壮大特色产业" in titles and len(titles) >= 3


def test_opening_basis_is_built_from_the_header():
    assert place_of("枫林县白沙镇柳塘村驻村工作队") == "柳塘村"
    assert basis_prefix("枫林县白沙镇柳塘村驻村工作队", "2025年") == "2025年，驻柳塘村工作队在枫林县委、县政府和白沙镇党委的坚强领导下，"
    assert basis_prefix("县农业农村局", None) == "今年以来，县农业农村局在上级党委、政府的坚强领导下，"


# ---------------------------------------------------------------- the engine


def test_whole_report_every_figure_in_its_clause_and_the_genre_clean(drafter):
    fs = load_figures(EXAMPLE)
    draft = drafter.write(fs)
    assert draft.ok, draft.check.findings
    genre = [(f.kind, f.text) for f in draft.check.genre if f.kind != "length"]
    assert genre == [], genre
    text = draft.text
    for f in fs.figures:
        assert text.count(f.render()) == 1, f.name
    for fact in fs.facts:
        assert fact.text in text
    assert text.startswith("柳塘村2025年驻村工作总结\n\n2025年，驻柳塘村工作队在枫林县委、县政府和白沙镇党委的坚强领导下，")
    assert "现将有关情况总结如下：" in text
    work = draft.sections[1].body
    assert "（一）完善基础设施建设\n\n坚持把完善基础设施建设作为重要抓手" in work
    assert "一是新建改造农村公路4.5公里，有效改善了" in work
    problems = draft.sections[2]
    assert problems.body.startswith("（一）") and not problems.warnings
    assert "（二）设施管护资金压力较大。" in problems.body and "设施年维护费用6.4万元" in problems.body
    assert "计划新增早熟黄桃种植60亩" in draft.sections[3].body and "力争村集体经济收入达到22万元" in draft.sections[3].body


def test_a_server_without_grammar_is_validated_asked_again_then_falls_back(tmp_path):
    def sloppy(messages):  # writes the clauses in its own words: 修建道路 for 新建改造农村公路
        return writer(messages).replace("新建改造农村公路", "修建道路")

    llm = FakeLLM(default=sloppy)
    d = Drafter(llm=llm, embedder=HashEmbedder(), store=tmp_path / "store", strategy="weave")
    fs = FigureSet([fig("新建改造农村公路", "4.5", "公里", "work"), fig("开展技能培训", "460", "人次", "work")])
    draft = d.write(fs, sections=["work"])
    sec = draft.sections[0]
    assert draft.ok and "新建改造农村公路4.5公里" in sec.body
    assert any("did not hold every figure clause verbatim" in w for w in sec.warnings)
    # the infrastructure paragraph was asked for twice (a second sample), then written by Drafter alone
    assert "（一）完善基础设施建设\n\n新建改造农村公路4.5公里。" in sec.body
    assert "开展技能培训460人次，有效改善了" in sec.body  # the other paragraph kept the model's prose
    asks = [r for r in llm.requests if "完善基础设施建设" in r["messages"][-1]["content"]]
    assert len(asks) >= 2 and all(r["grammar"] is None for r in llm.requests)


def test_on_the_embedded_server_each_paragraph_is_asked_with_its_grammar(tmp_path):
    llm = FakeLLM(default=writer)
    fs = FigureSet([fig("新建改造农村公路", "4.5", "公里", "work")])
    engine = Engine(llm, PromptLibrary(), None, strategy="weave", grammar_ok=True)
    sec = engine.write_section("work", fs, fs.figures, [], heading="一、工作开展情况")
    assert sec.check.ok and llm.requests[0]["grammar"] and '"新建改造农村公路4.5公里"' in llm.requests[0]["grammar"]


def test_model_parts_with_numbers_tense_or_other_places_are_dropped(tmp_path):
    def naughty(messages):
        text = writer(messages)
        return text.replace("坚持把这项工作作为重要抓手", "我们将新修道路三公里，坚持把这项工作作为重要抓手").replace(
            "有效改善了群众的生产生活条件", "惠及群众八百余户")

    fs = FigureSet([fig("新建改造农村公路", "4.5", "公里", "work"), fig("开展技能培训", "460", "人次", "work")])
    d = Drafter(llm=FakeLLM(default=naughty), embedder=HashEmbedder(), store=tmp_path / "store", strategy="weave")
    draft = d.write(fs, sections=["work"])
    sec = draft.sections[0]
    assert draft.ok, sec.check.findings
    assert "三公里" not in sec.body and "八百" not in sec.body and "我们将" not in sec.body
    assert any(x.startswith("a number") for x in sec.dropped)


def test_traditional_output_keeps_the_users_names(tmp_path):
    fs = FigureSet([fig("新增省級示範家庭農場", "6", "家", "work")])
    d = Drafter(llm=FakeLLM(default=writer), embedder=HashEmbedder(), store=tmp_path / "store", strategy="weave")
    simp = d.write(fs, sections=["work"])
    assert "新增省级示范家庭农场6家" in simp.text and "添加" not in simp.text
    trad = d.write(fs, sections=["work"], script="traditional")
    assert "新增省級示範家庭農場6家" in trad.text


# ---------------------------------------------------------------- lengths


def test_section_targets_are_the_median_of_the_store(tmp_path):
    d = Drafter(embedder=HashEmbedder(), store=tmp_path / "store")
    d.ingest([BUNDLED_CORPUS])
    targets = section_targets(d.store)
    assert set(targets) >= {"opening", "work", "problems", "next_steps"}
    assert 1000 <= targets["work"] <= 1500 and targets["opening"] < targets["problems"] < targets["work"]
    one = [s for s in d.store.sources() if "liutang" in s][:1]
    from drafter.index.retrieval import Filters

    assert section_targets(d.store, Filters(sources=one))["work"] != 0


def test_length_option_is_parsed_and_checked():
    assert parse_lengths("work=1200,problems=400") == {"work": 1200, "problems": 400}
    assert parse_lengths("900") == {"work": 900}
    with pytest.raises(InputError, match="--length"):
        parse_lengths("work=lots")
    with pytest.raises(InputError, match="unknown section kind"):
        parse_lengths("chapter=3")


def test_figures_without_a_section_go_where_their_role_puts_them():
    from drafter.drafting.report import assign_figures

    fs = FigureSet([fig("村民小组", "6", "个", role="base"), fig("户籍人口", "751", "人"), fig("新建改造农村公路", "4.5", "公里"),
                    fig("仍有贫困人口", "120", "人"), fig("力争村集体经济收入", "22", "万元")])
    got = assign_figures(fs, ["opening", "work", "problems", "next_steps"])
    assert {k: [f.name for f in v] for k, v in got.items()} == {
        "opening": ["村民小组", "户籍人口"], "work": ["新建改造农村公路"], "problems": ["仍有贫困人口"],
        "next_steps": ["力争村集体经济收入"]}
    assert [f.name for f in assign_figures(fs, ["work"], partial=True)["work"]] == ["新建改造农村公路"]  # --section work
    assert [f.name for f in assign_figures(fs, ["work"])["work"]] == [f.name for f in fs.figures]  # an outline of one section


def test_a_part_starting_with_its_heading_keeps_the_rest():
    p = Paragraph("next_steps", [], heading="持续壮大特色产业", title="持续壮大特色产业", lead=True, close=True, effects=False)
    kept, _ = clean_reply(Reply(lead="持续壮大特色产业，延伸黄桃产业链条，发展冷链物流和农产品加工",
                                close="进一步拓宽群众增收渠道，推动村集体经济持续壮大"), p, lambda part, text: "")
    assert kept.lead == "延伸黄桃产业链条，发展冷链物流和农产品加工"
    assert assemble(kept, p).startswith("持续壮大特色产业。延伸黄桃产业链条")


def test_a_part_ending_in_a_stub_of_a_clause_ends_before_it():
    from drafter.drafting.weave import _trim_cut

    assert _trim_cut("推动乡村振兴，提高") == "推动乡村振兴"
    assert _trim_cut("切实增强了群众的获得感，提升了群众满意度和") == "切实增强了群众的获得感"  # cut off after 和: its clause goes
    assert _trim_cut("推动乡村振兴，提高，期待达到预期目标") == "推动乡村振兴，期待达到预期目标"  # a lone verb between commas
    assert _trim_cut("群众出行更加便捷，村容村貌明显改善") == "群众出行更加便捷，村容村貌明显改善"


def test_a_lead_that_restates_its_item_without_the_quotes_is_caught():
    """The lead 完成了村两委换届 restates the fact 完成村“两委”换届 (seen in a 1.5B report): quotation
    marks and 了 slipped in do not hide it."""
    from drafter.drafting.weave_writer import _near

    assert _near("完成村“两委”换届", "围绕群众需求，完成了村两委换届，进一步提升了战斗力")
    assert _near("修订完善《村规民约》", "修订完善了村规民约")
    assert not _near("完成村“两委”换届", "坚持党的领导，进一步提升了基层党组织的战斗力")
    assert not _near("“”", "任何文字")
