"""The labelled retrieval set, label matching, recall@k/MRR math and ``drafter eval retrieval``."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from conftest import BUNDLED_CORPUS, SHARED_FILE
from drafter.api import Drafter
from drafter.cli.eval_retrieval import register_retrieval
from drafter.index.embeddings import HashEmbedder
from drafter.errors import InputError
from drafter.index.retrieval_eval import (
    DEFAULT_QUERIES,
    SUBSETS,
    Label,
    LabelledQuery,
    corpus_chunks,
    evaluate_retrieval,
    first_relevant_rank,
    heading_key,
    is_relevant,
    load_queries,
    matches,
    mean_reciprocal_rank,
    recall_at_k,
    render_table,
    unmatched_labels,
)

needs_shared = pytest.mark.skipif(not SHARED_FILE.exists(), reason=f"{SHARED_FILE} is missing")


def chunk(title: str, *path: str) -> SimpleNamespace:
    return SimpleNamespace(report_title=title, section_path=list(path))


# --- metrics -----------------------------------------------------------------------


def test_recall_and_mrr_on_a_toy_set():
    ranks = [1, 3, None, 6]  # first relevant rank of four queries
    assert recall_at_k(ranks, 1) == 0.25
    assert recall_at_k(ranks, 5) == 0.5
    assert recall_at_k(ranks, 10) == 0.75
    assert mean_reciprocal_rank(ranks, depth=10) == pytest.approx((1 + 1 / 3 + 0 + 1 / 6) / 4)
    assert mean_reciprocal_rank(ranks, depth=5) == pytest.approx((1 + 1 / 3) / 4)
    assert recall_at_k([], 5) == 0.0 and mean_reciprocal_rank([]) == 0.0
    assert first_relevant_rank([False, False, True, True]) == 3
    assert first_relevant_rank([False]) is None


# --- label matching --------------------------------------------------------------------


def test_path_prefix_matching_across_scripts_widths_and_trailing_stop():
    lab = Label(report="柳塘村2022年驻村工作总结", path=["一、主要工作及成效"])
    assert matches(lab, "柳塘村2022年駐村工作總結", ["一、主要工作及成效", "（一）培育黃桃特色產業"])
    assert matches(lab, "柳塘村2022年驻村工作总结", ["一、主要工作及成效"])
    assert not matches(lab, "柳塘村2022年驻村工作总结", ["二、存在的问题和不足"])
    assert not matches(lab, "柳塘村2023年驻村工作总结", ["一、主要工作及成效"])
    assert not matches(lab, "柳塘村2022年驻村工作总结", [])  # lead text is not under the heading
    inline = Label(report="汇报5", path=["一、存在問題及原因", "(一)移風易俗方面。"])
    assert matches(inline, "彙報5", ["一、存在问题及原因", "（一） 移风易俗方面"])
    whole = Label(report="汇报5", path=[])
    assert matches(whole, "汇报5", []) and matches(whole, "汇报5", ["二、下步打算"])
    assert heading_key(" （一）紮實推進。 ") == heading_key("(一)扎实推进")


def test_is_relevant_uses_any_label():
    q = LabelledQuery(id="t", query="测试", style="keyword", script="simplified",
                      relevant=[Label(report="甲", path=["一、"]), Label(report="乙", path=["二、"])])
    assert is_relevant(q, chunk("乙", "二、", "(一)"))
    assert not is_relevant(q, chunk("甲", "二、"))


# --- the labelled file ---------------------------------------------------------------------


def test_labelled_file_is_complete_and_balanced():
    queries = load_queries(DEFAULT_QUERIES)
    assert len(queries) >= 40
    for style in ("keyword", "paraphrase"):
        for script in ("simplified", "traditional"):
            assert sum(q.style == style and q.script == script for q in queries) >= 8, (style, script)


@needs_shared
def test_every_label_matches_a_passage_of_the_corpora():
    chunks = corpus_chunks()
    queries = load_queries(DEFAULT_QUERIES)
    assert unmatched_labels(queries, chunks) == []
    titles = {heading_key(c.report_title) for c in chunks}
    # both corpora are labelled
    assert any("乡村振兴驻村工作情况汇报" in t for t in titles)
    used = {heading_key(lab.report) for q in queries for lab in q.relevant}
    assert any(t.startswith("柳塘村") for t in used) and any(t.startswith("乡村振兴驻村") for t in used)


def test_unmatched_label_is_reported():
    q = LabelledQuery(id="q99", query="测试", style="keyword", script="simplified",
                      relevant=[Label(report="甲", path=["三、没有这一节"])])
    assert unmatched_labels([q], [chunk("甲", "一、", "(一)")]) == [("q99", q.relevant[0])]


@pytest.mark.parametrize(
    "body, message",
    [
        ("- id: q1\n  query: 路灯\n  style: keyword\n  script: simplified\n  relevant: []\n", "query q1: field 'relevant'"),
        ("- id: q1\n  query: 路灯\n  style: fuzzy\n  script: simplified\n  relevant: [{report: a, path: []}]\n", "query q1: field 'style'"),
        ("- id: q1\n  query: 路燈\n  style: keyword\n  script: traditional\n  relevant: [{report: a, path: []}]\n"
         "- id: q1\n  query: 路燈\n  style: keyword\n  script: traditional\n  relevant: [{report: a, path: []}]\n", "query q1: duplicate"),
        ("- id: q2\n  query: 农村公路\n  style: keyword\n  script: traditional\n  relevant: [{report: a, path: []}]\n", "query q2: labelled traditional"),
        ("- id: q3\n  query: 路灯\n  style: keyword\n  script: simplified\n  relevant: [{report: a, paths: []}]\n", "query q3: field 'relevant.0.path'"),
        ("{not: a list}\n", "list of queries"),
    ],
)
def test_bad_query_files_name_file_and_query(tmp_path, body, message):
    f = tmp_path / "queries.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_queries(f)
    assert str(f) in str(err.value) and message in str(err.value)


# --- end to end with the hash embedder --------------------------------------------------------


@needs_shared
def test_evaluate_retrieval_and_cli(tmp_path):
    d = Drafter(embedder=HashEmbedder(), store=tmp_path / "store")
    report = evaluate_retrieval(d, k=5)
    assert set(report.scores) == {"dense", "bm25", "hybrid"}
    assert set(report.scores["hybrid"]) == set(SUBSETS)
    assert report.scores["hybrid"]["all"].n == 48
    assert report.scores["bm25"]["keyword"].recall >= 0.9  # the keyword queries use the passages' own words
    assert len(report.results) == 48 * 3
    table = render_table(report)
    assert "paraphrase/traditional" in table and "hybrid R@5" in table

    eval_app = typer.Typer()
    register_retrieval(eval_app)
    eval_app.command("noop")(lambda: None)  # a second command keeps 'retrieval' a sub-command
    res = CliRunner().invoke(eval_app, ["retrieval", "--k", "3", "--json", "--store", str(tmp_path / "store"), "--embedder", "hash"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["k"] == 3 and data["scores"]["bm25"]["keyword"]["n"] == 24
    again = evaluate_retrieval(d, k=5)  # the ingest is idempotent: same store, same figures
    assert again.scores["bm25"]["all"] == report.scores["bm25"]["all"]


def test_the_labelled_corpora_come_from_corpora_yaml_not_code(tmp_path):
    from drafter.index.retrieval_eval import default_corpora

    shipped = default_corpora()
    assert shipped[0] == BUNDLED_CORPUS and shipped[1].name == SHARED_FILE.name
    queries = tmp_path / "queries.yaml"
    queries.write_text("[]\n", encoding="utf-8")
    with pytest.raises(InputError, match="corpora.yaml is missing") as err:
        default_corpora(queries)
    assert "--corpus" in str(err.value.hint)
    (tmp_path / "corpora.yaml").write_text("corpus: here\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be a list of corpus paths"):
        default_corpora(queries)
    (tmp_path / "corpora.yaml").write_text(f"- {tmp_path}\n- corpus\n", encoding="utf-8")
    assert default_corpora(queries) == (tmp_path, BUNDLED_CORPUS)
