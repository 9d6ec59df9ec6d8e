"""The eval harness (drafter.evaluation): suites, runs, cache, resume, metrics, reports, rescore, compare.

Runs use a scripted fake LLM, the hash embedder and the tiny suite in
tests/data/eval/ (one invented village report); the real model never starts.
"""

from __future__ import annotations

import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from drafter.config import load_settings
from drafter.index.embeddings import get_embedder
from drafter.errors import InputError, PromptError
from drafter.evaluation import (
    RunInterrupted,
    compare_runs,
    load_records,
    load_suite,
    parse_thresholds,
    rescore_run,
    resolve_variants,
    run_suite,
)
from drafter.evaluation.metrics import aggregate, artefacts, mentions, rate, wrong_script
from drafter.testing import FakeLLM

DATA = Path(__file__).parent / "data" / "eval"
SUITE = DATA / "suite.yaml"
INVENTED = "全年完成投资260万元。"

def _need_checker() -> None:
    pytest.importorskip("drafter.guard.check", reason="drafter.guard.check (the number checker) is not written yet")


class ScriptedLLM(FakeLLM):
    """Replies the way a model would, per request kind.

    JSON requests (the compose strategy) get numeral-free JSON covering every
    schema the engine uses; prose requests (free, masked, slots) get the figures
    listed in the prompt ("- name：text") plus one invented amount, so prose
    drafts always carry an ``invented`` finding.
    """

    JSON = json.dumps({
        "intro": "本年度工作队坚持问题导向，扎实推进各项工作。",
        "leads": ["坚持规划先行，补齐基础设施短板。"] * 8,
        "items": [{"heading": "产业基础仍需巩固", "text": "产业链条较短，抗风险能力不强。"}] * 6,
        "text": "青禾村驻村工作队坚持以党建为引领，聚焦产业发展和民生改善，扎实推进乡村振兴各项工作。现将有关情况报告如下。",
    }, ensure_ascii=False)

    def __init__(self) -> None:
        super().__init__(default="")
        self._big = threading.Lock()

    def complete(self, messages, *, max_tokens, temperature, response_format=None, grammar=None, on_token=None):
        with self._big:
            if response_format is not None:
                self.default = self.JSON
            else:
                user = next(m["content"] for m in messages if m["role"] == "user")  # repair rounds: same answer
                items = re.findall(r"^- (.+?)：(.+)$", user, re.M)
                self.default = "".join(f"{name}{text}。" for name, text in items) + INVENTED
            return super().complete(messages, max_tokens=max_tokens, temperature=temperature,
                                    response_format=response_format, grammar=grammar, on_token=on_token)


@pytest.fixture()
def settings():
    return load_settings(embedder="hash")


@pytest.fixture()
def suite():
    return load_suite(SUITE)


def _run(suite, settings, out, llm, strategies=("compose",), prompt_variants=(), **kw):
    variants = resolve_variants(settings, list(prompt_variants), list(strategies), llm=llm)
    return run_suite(suite, variants, settings=settings, out=out, llm=llm, embedder=get_embedder("hash"), **kw)


# ---------------------------------------------------------------- suites


def test_tiny_suite_loads(suite):
    assert suite.name == "tiny" and [c.id for c in suite.cases] == ["qinghe-2025-work", "qinghe-2025-opening", "qinghe-2025-traditional"]
    work = suite.cases[0]
    assert work.single and work.kinds == ["work"] and len(work.figset.figures) == 3
    assert work.corpus == [(DATA / "corpus").resolve()]
    assert suite.cases[2].script == "traditional" and suite.cases[0].script is None
    assert suite.select(tags=["near-miss"]) == suite.cases[:2]
    with pytest.raises(InputError, match="tag"):
        suite.select(tags=["nope"])


def test_shipped_suite_loads():
    shipped = load_suite(Path(__file__).resolve().parents[1] / "evals" / "suites" / "sections.yaml")
    assert len(shipped.cases) >= 25
    assert any("near-miss" in c.tags for c in shipped.cases)
    assert any(c.corpus and "shared" in str(c.corpus[0]) for c in shipped.cases)


BAD_CASES = [
    ("  - {id: a, section: work, figures: {figures: [{name: x, value: 1, unit: 个}]}, expekt: {}}", r"case 'a': unknown field 'expekt'"),
    ("  - {id: a, section: work, figures: {figures: [{name: x, value: 1, unit: 个}]}, expect: {length: [9, 3]}}", r"case 'a': field 'expect.length'"),
    ("  - {id: a, section: work, outline: [work], figures: {figures: [{name: x, value: 1, unit: 个}]}}", r"case 'a': give exactly one of 'section'"),
    ("  - {id: a, section: work, figures_file: nope.yaml}", r"case 'a': field 'figures_file': path 'nope.yaml' does not exist"),
    ("  - {id: a, section: wrok, figures: {figures: [{name: x, value: 1, unit: 个}]}}", r"case 'a': field 'section'.*unknown section kind"),
    ("  - {id: a, section: work, figures: {figures: [{name: x, value: 1, unit: 个, section: problems}]}}", r"case 'a': field 'figures'.*outline does not have"),
    ("  - {id: a, section: work, corpus: [missing], figures: {figures: [{name: x, value: 1, unit: 个}]}}", r"case 'a': field 'corpus': path 'missing'"),
    ("  - {id: a, section: work, figures: {figures: []}}", r"case 'a': field 'figures'.*empty"),
    ("  - {id: a, section: work, figures: {figures: [{name: x, value: 1, unit: 个}]}}\n"
     "  - {id: a, section: work, figures: {figures: [{name: y, value: 2, unit: 个}]}}", r"case 'a': duplicate case id"),
]


@pytest.mark.parametrize("cases, message", BAD_CASES)
def test_suite_errors_name_file_case_and_field(tmp_path, cases, message):
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\ncases:\n{cases}\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_suite(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- metrics (no checker needed)


def test_artefacts_and_script_and_mentions():
    text = "好的，以下是报告正文：\n## 工作情况\n**一是**完成道路建设。This is an English sentence here.\n取得良好的成效。"
    kinds = [a["kind"] for a in artefacts(text)]
    assert kinds.count("chat") == 2 and kinds.count("markdown") == 2 and kinds.count("english") == 1
    assert artefacts("取得良好的成效，群众满意度明显提高。") == []
    echo = artefacts("【青禾村2024年驻村工作总结】一是推进道路建设。【青禾村｜一、工作开展情况】新建4.5公里。")
    assert [a["kind"] for a in echo] == ["prompt", "prompt"]
    assert artefacts("新建改造农村公路【1】，安装路灯【2】。") == []
    assert wrong_script("村集體經濟收入", "simplified") and not wrong_script("村集体经济收入", "simplified")
    assert wrong_script("村集体经济收入", "traditional") and not wrong_script("村集體經濟收入", "traditional")
    assert [m["term"] for m in mentions("成立村紅白理事會", ["红白理事会", "村史馆"])] == ["红白理事会"]


def test_aggregate_rates():
    recs = [
        {"status": "ok", "metrics": {"clean": True, "recall": 1.0, "stale": 0, "length_ok": None}},
        {"status": "ok", "metrics": {"clean": False, "recall": 0.5, "stale": 2, "length_ok": True}},
        {"status": "error", "metrics": {}},
    ]
    agg = aggregate(recs)
    assert agg["outputs"] == 3 and agg["errors"] == 1
    assert agg["clean"] == pytest.approx(1 / 3)  # an error is not clean
    assert agg["recall"] == pytest.approx(0.75) and agg["stale"] == 2 and agg["length_ok"] == 1.0
    assert rate(agg, "stale") == pytest.approx(1.0)  # per ok output


def test_short_labels_show_what_differs():
    from drafter.evaluation.reports import short_labels

    vs = [{"id": f"default/{s}/m", "prompt_variant": None, "strategy": s, "model": "m"} for s in ("compose", "free")]
    labels, common = short_labels(vs)
    assert labels == {"default/compose/m": "compose", "default/free/m": "free"} and common == "prompts default, model m"


def test_thresholds_parse():
    t = parse_thresholds(["clean=0.1", "altered=0"])
    assert t["clean"] == 0.1 and t["altered"] == 0 and t["recall"] == 0.02
    with pytest.raises(InputError, match="unknown metric"):
        parse_thresholds(["cleanliness=1"])


def test_bad_strategy_or_prompt_fails_before_any_call(suite, settings, tmp_path):
    from drafter.errors import PromptError

    llm = FakeLLM()
    with pytest.raises(InputError, match="strategy"):
        resolve_variants(settings, [], ["telepathy"], llm=llm)
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "broken.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(PromptError, match="broken.md"):
        run_suite(suite, resolve_variants(settings, llm=llm), settings=settings.model_copy(update={"prompts_dir": prompts}),
                  out=tmp_path / "run", llm=llm, embedder=get_embedder("hash"))
    assert llm.requests == [] and not (tmp_path / "run").exists()


# ---------------------------------------------------------------- runs (need the checker)


def test_run_writes_records_summary_html_and_second_run_makes_no_call(suite, settings, tmp_path):
    _need_checker()
    llm = ScriptedLLM()
    first = _run(suite, settings, tmp_path / "a", llm, strategies=("compose", "free"), repeat=2)
    assert first.done == 12 and first.cache["calls"] == len(llm.requests) > 0
    records = load_records(first.path)
    assert len(records) == 12
    rec = next(r for r in records if r["case"] == "qinghe-2025-work" and r["variant"]["strategy"] == "free")
    sec = rec["sections"][0]
    for key in ("messages", "replies", "passages", "check", "figures", "body", "prompt_sha256", "target_chars"):
        assert key in sec
    assert sec["messages"][-1]["role"] == "user" and "新建改造农村公路" in sec["messages"][-1]["content"]
    assert sec["passages"] and all(p["source"].endswith(".txt") for p in sec["passages"])
    assert rec["metrics"]["corpus_hit"] is True and rec["metrics"]["invented"] >= 1 and not rec["metrics"]["clean"]
    assert {r["seed"] for r in records} == {0, 1}
    summary = json.loads((first.path / "summary.json").read_text(encoding="utf-8"))
    meta = json.loads((first.path / "run.json").read_text(encoding="utf-8"))
    assert summary["suite"]["sha256"] and meta["git"].keys() >= {"commit", "dirty"} and meta["prompts"]
    assert "api_key" not in json.dumps(meta["settings"]).replace("api_key_env", "")
    assert set(summary["metrics"]) == {v["id"] for v in summary["variants"]} and len(summary["variants"]) == 2
    free = next(v["id"] for v in summary["variants"] if v["strategy"] == "free")
    assert summary["metrics"][free]["clean"] == 0.0 and summary["metrics"][free]["invented"] >= 6

    n = len(llm.requests)
    second = _run(suite, settings, tmp_path / "b", llm, strategies=("compose", "free"), repeat=2)
    assert second.cache["calls"] == 0 and second.cache["hits"] == first.cache["calls"] + first.cache["hits"]
    assert len(llm.requests) == n
    again = json.loads((second.path / "summary.json").read_text(encoding="utf-8"))
    assert again["metrics"] == summary["metrics"]  # cached replies keep their original latency
    assert again["cache"]["calls"] == 0


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], object] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-metric" in a:
            self.cells[(a["data-variant"], a["data-metric"])] = json.loads(a["data-value"])


def test_html_report_figures_match_summary(suite, settings, tmp_path):
    _need_checker()
    result = _run(suite, settings, tmp_path / "r", ScriptedLLM(), strategies=("compose", "free"))
    html = (result.path / "report.html").read_text(encoding="utf-8")
    assert "<link" not in html and "src=\"http" not in html  # one self-contained file
    summary = json.loads((result.path / "summary.json").read_text(encoding="utf-8"))
    parser = _Cells()
    parser.feed(html)
    expected = {(vid, name): value for vid, agg in summary["metrics"].items() for name, value in agg.items()}
    assert parser.cells == expected
    assert html.count('<details class="out"') == 6
    assert 'class="f-invented"' in html  # the invented amount is highlighted in its draft
    assert INVENTED[:-1] in html


def test_interrupt_keeps_finished_outputs_and_resume_completes(suite, settings, tmp_path):
    _need_checker()
    llm = ScriptedLLM()
    calls = {"n": 0}
    original = ScriptedLLM.complete

    def flaky(self, messages, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, messages, **kw)

    llm.complete = flaky.__get__(llm)
    out = tmp_path / "run"
    settings = settings.model_copy(update={"repair_rounds": 0})  # one call per output
    with pytest.raises(RunInterrupted) as info:
        _run(suite, settings, out, llm, strategies=("free",))
    kept = load_records(out)
    assert len(kept) == 2 and info.value.kept == 2
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["run"]["complete"] is False

    resumed = _run(suite, settings, out, ScriptedLLM(), strategies=("free",))
    assert resumed.skipped == 2 and resumed.done == 1
    assert resumed.summary["run"]["complete"] is True and resumed.summary["run"]["outputs"] == 3


def test_rescore_recomputes_findings_from_stored_drafts(suite, settings, tmp_path):
    _need_checker()
    llm = ScriptedLLM()
    result = _run(suite, settings, tmp_path / "run", llm, strategies=("compose",))
    vid = result.summary["variants"][0]["id"]
    assert result.summary["metrics"][vid]["invented"] == 0
    n = len(llm.requests)
    # tamper with one stored draft: the stored check still says it is as before
    path = result.path / "records.jsonl"
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    lines[0]["sections"][0]["body"] += "另外投入资金999万元。"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")

    rescored = rescore_run(result.path, out=tmp_path / "rescored")
    assert rescored.changed == 1 and rescored.outputs == 3
    assert rescored.summary["metrics"][vid]["invented"] == 1
    assert rescored.summary["metrics"][vid]["clean"] < result.summary["metrics"][vid]["clean"]
    assert len(llm.requests) == n  # no generation
    rec = load_records(rescored.path)[0]
    assert any(f["kind"] == "invented" and "999" in f["text"] for f in rec["sections"][0]["check"]["findings"])
    assert json.loads((result.path / "summary.json").read_text(encoding="utf-8"))["metrics"][vid]["invented"] == 0  # original kept


def test_compare_flags_regression_and_case_changes(suite, settings, tmp_path):
    _need_checker()
    llm = ScriptedLLM()
    a = _run(suite, settings, tmp_path / "a", llm, strategies=("compose",))
    b = _run(suite, settings, tmp_path / "b", llm, strategies=("free",))
    same = compare_runs(str(a.path), str(a.path))
    assert not same["regressed"] and same["pairs"][0]["cases"] == []
    diff = compare_runs(str(a.path), str(b.path))
    assert diff["regressed"]
    names = {row["name"] for p in diff["pairs"] for row in p["metrics"] if row["regression"]}
    assert "invented" in names
    changes = {c["case"]: c["change"] for c in diff["pairs"][0]["cases"]}
    clean_a = {cid: per[next(iter(per))]["clean"] for cid, per in a.summary["cases"].items()}
    assert all(changes[cid] == "clean → not clean" for cid, v in clean_a.items() if v == 1.0)
    # the reverse direction is an improvement, and a loose threshold silences it
    assert not compare_runs(str(b.path), str(a.path))["regressed"]
    loose = compare_runs(str(a.path), str(b.path), parse_thresholds(["invented=100", "clean=1", "stale=100", "recall=1", "genre_clean=1"]))
    assert not loose["regressed"]
    with pytest.raises(InputError, match="no variant"):
        compare_runs(str(a.path) + "#nope", str(b.path))


def test_compare_pairs_the_same_matrix_run_with_another_model(suite, settings, tmp_path):
    _need_checker()
    llm = ScriptedLLM()
    variants = lambda model: resolve_variants(settings, [], ["compose", "free"], [model], llm=llm)  # noqa: E731
    a = run_suite(suite, variants("small"), settings=settings, out=tmp_path / "a", llm=llm, embedder=get_embedder("hash"))
    b = run_suite(suite, variants("large"), settings=settings, out=tmp_path / "b", llm=llm, embedder=get_embedder("hash"))
    pairs = [(p["a"], p["b"]) for p in compare_runs(str(a.path), str(b.path))["pairs"]]
    assert pairs == [("default/compose/small", "default/compose/large"), ("default/free/small", "default/free/large")]


def test_prompt_variants_from_a_user_folder(suite, settings, tmp_path):
    _need_checker()
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    base = (Path(__file__).resolve().parents[1] / "drafter" / "data" / "prompts" / "work.md").read_text(encoding="utf-8")
    (prompts / "work-terse.md").write_text(base.replace("name: work\n", "name: work-terse\n", 1).rstrip() + "\n请尽量简短。\n",
                                           encoding="utf-8")
    settings = settings.model_copy(update={"prompts_dir": prompts})
    llm = ScriptedLLM()
    result = _run(suite, settings, tmp_path / "run", llm, prompt_variants=("default", "terse"))
    assert [v["prompt_variant"] for v in result.summary["variants"]] == [None, "terse"]
    records = {(r["case"], r["variant"]["prompt_variant"]): r for r in load_records(result.path)}
    assert records[("qinghe-2025-work", "terse")]["sections"][0]["prompt"] == "work-terse"
    assert "请尽量简短。" in records[("qinghe-2025-work", "terse")]["sections"][0]["messages"][-1]["content"]
    assert records[("qinghe-2025-work", None)]["sections"][0]["prompt"] == "work"
    # the opening has no terse prompt: drafted with the default one, from the cache, and said so
    assert records[("qinghe-2025-opening", "terse")]["prompt_variant_used"] is None
    assert records[("qinghe-2025-opening", "terse")]["calls"] == {"model": 0, "cached": 1}
    assert any("opening" in w for w in result.summary["warnings"])
    meta = json.loads((result.path / "run.json").read_text(encoding="utf-8"))
    assert meta["prompts"]["work-terse"] != meta["prompts"]["work"]
    with pytest.raises(PromptError, match="nosuch"):
        _run(suite, settings, tmp_path / "run2", llm, prompt_variants=("nosuch",))


def test_model_error_is_recorded_and_the_run_goes_on_with_threads(suite, settings, tmp_path):
    _need_checker()
    from drafter.errors import ModelError

    llm = ScriptedLLM()
    llm.enqueue(ModelError("The model server at fake://llm did not answer."))
    result = _run(suite, settings, tmp_path / "run", llm, strategies=("compose",), concurrency=2)
    records = load_records(result.path)
    assert len(records) == 3 and result.done == 3
    errors = [r for r in records if r["status"] == "error"]
    assert len(errors) == 1 and "did not answer" in errors[0]["error"] and errors[0]["error_type"] == "ModelError"
    vid = result.summary["variants"][0]["id"]
    assert result.summary["metrics"][vid]["errors"] == 1
    assert result.summary["metrics"][vid]["clean"] == pytest.approx(2 / 3)
    # the failed output is drafted again on resume; the others are kept
    again = _run(suite, settings, result.path, llm, strategies=("compose",))
    assert again.skipped == 2 and again.done == 1 and again.summary["metrics"][vid]["errors"] == 0


def test_outline_case_records_every_section_with_its_passages(settings, tmp_path):
    _need_checker()
    path = tmp_path / "outline.yaml"
    path.write_text(f"""name: outline
corpus: [{DATA / 'corpus'}]
cases:
  - id: qinghe-report
    outline: [opening, {{kind: work, heading: 主要工作及成效}}]
    figures:
      organisation: 青禾村驻村工作队
      period: 2025年
      figures:
        - {{name: 村集体经济收入, value: 16.8, unit: 万元, section: opening}}
        - {{name: 新建改造农村公路, value: 4.5, unit: 公里, section: work}}
""", encoding="utf-8")
    suite = load_suite(path)
    assert suite.root == tmp_path and suite.cases[0].kinds == ["opening", "work"] and not suite.cases[0].single
    result = _run(suite, settings, tmp_path / "run", ScriptedLLM())
    rec = load_records(result.path)[0]
    assert [s["kind"] for s in rec["sections"]] == ["opening", "work"]
    assert rec["sections"][1]["heading"] == "一、主要工作及成效"
    assert all(s["passages"] and s["figures"] for s in rec["sections"])
    assert rec["metrics"]["recall"] == 1.0 and "主要工作及成效" in (result.path / "report.html").read_text(encoding="utf-8")


def test_an_incomplete_draft_is_recorded_as_an_error_like_a_raised_one(suite, settings, tmp_path, monkeypatch):
    _need_checker()
    from drafter.api import Drafter

    write = Drafter.write

    def stops_after_the_first_section(self, figures, *args, **kw):
        draft = write(self, figures, *args, **kw)
        if figures.organisation == "青禾村驻村工作队" and kw.get("sections") == ["opening"]:
            # as write_report returns it when the model fails after a finished section
            draft.missing, draft.error, draft.error_type = ["一、工作开展情况"], "The model server at fake://llm did not answer.", "ModelError"
            assert draft.status == "incomplete"
        return draft

    monkeypatch.setattr(Drafter, "write", stops_after_the_first_section)
    result = _run(suite, settings, tmp_path / "run", ScriptedLLM(), strategies=("compose",))
    records = {r["case"]: r for r in load_records(result.path)}
    bad = records["qinghe-2025-opening"]
    assert (bad["status"], bad["error_type"], bad["sections"], bad["output"], bad["metrics"]) == ("error", "ModelError", [], "", {})
    assert "did not answer" in bad["error"]
    assert all(r["status"] == "ok" for c, r in records.items() if c != "qinghe-2025-opening")
    assert result.summary["metrics"][result.summary["variants"][0]["id"]]["errors"] == 1


def test_weave_records_every_passage_each_paragraph_retrieved(suite, settings, tmp_path):
    _need_checker()
    result = _run(suite, settings, tmp_path / "run", ScriptedLLM(), strategies=("weave",))
    records = load_records(result.path)
    assert records and all(r["status"] == "ok" for r in records)
    for rec in records:
        for sec in rec["sections"]:
            assert sec["passages"] and all(p["source"].endswith(".txt") for p in sec["passages"])
            assert sum(p["used"] for p in sec["passages"]) >= 1
