"""drafter.guard.binding and drafter.guard.ranks: what a number counts, and ranks read for the checker (issue 13)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from drafter import extract_quantities
from drafter.guard.binding import bind, lexicon
from drafter.guard.name_index import NameIndex
from drafter.guard.numerals import fold_text
from drafter.guard.ranks import extract_ranks


def bindings(text: str):
    qs = extract_quantities(text)
    return qs, bind(fold_text(text), qs)


def test_lexicon_loads() -> None:
    lex = lexicon()
    assert {"数量", "总长", "人数", "面积", "总数", "金额"} <= lex.table_suffixes
    assert "分别" in lex.respectively and "排名" in lex.rank_verbs and "全县" in lex.rank_scopes
    assert "其中" in lex.connectives


def test_paired_count_shares_the_first_subject() -> None:
    qs, b = bindings("全村共有脱贫户120户356人。")
    assert b[0].partner is None and b[1].partner == 0
    assert [c.text for c in b[1].levels[1]] == ["全村共有脱贫户"]
    assert b[1].levels[1][0].reason == "paired"


@pytest.mark.parametrize("text", ["开展各类人才培训25期、1753人次", "资助学生40人6.5万元", "改造危房32户2860平方米"])
def test_paired_counts_of_the_genre(text: str) -> None:
    _, b = bindings(text)
    assert b[1].partner == 0


def test_a_noun_closes_a_pair_and_belongs_to_it() -> None:
    text = "对全县38户112人边缘易致贫户和6户18人脱贫不稳定户"
    _, b = bindings(text)
    assert [x.partner for x in b] == [None, 0, None, 2]
    assert any(c.text == "边缘易致贫户" for c in b[0].levels[0])  # 38户 counts 边缘易致贫户 too


def test_respectively_pairs_nouns_and_numbers_in_order() -> None:
    _, b = bindings("蔬菜、水果产量分别增长12.5%、9%。")
    first, second = b[0].levels[0][0], b[1].levels[0][0]
    assert first.reason == second.reason == "respectively"
    assert first.text.startswith("蔬菜") and "产量" in first.text and "增长" in first.text
    assert second.text.startswith("水果产量")


def test_respectively_splits_on_words_not_characters() -> None:
    """及 inside 普及率 is no list joint."""
    _, b = bindings("农村自来水普及率、生活垃圾集中收运率分别达到98.5%和100%。")
    assert b[0].levels[0][0].text.startswith("农村自来水普及率")
    assert b[1].levels[0][0].text.startswith("生活垃圾集中收运率")


def test_ellipsis_reaches_the_clause_before() -> None:
    _, b = bindings("女性党员偏少，只有6人。")
    assert b[0].levels[0][0].text == "只有"
    assert b[0].levels[2][0].text == "女性党员偏少" and b[0].levels[2][0].reason == "ellipsis"


def test_head_noun_after_the_number_from_pos_tags() -> None:
    _, b = bindings("组织120名机关干部开展走访。")
    assert b[0].head == "机关干部"
    texts = [(c.text, c.weight) for c in b[0].levels[0]]
    assert ("机关干部", 1.0) in texts and ("开展走访", 0.7) in texts  # the words after the head only confirm


def test_connectives_cut_the_own_words() -> None:
    _, b = bindings("建成120盏路灯和2处文化广场，全村党员45名其中女性12名。")
    assert [c.text for c in b[1].levels[0]] == ["文化广场"]
    assert [c.text for c in b[3].levels[0]] == ["女性"]


def test_name_index_weights() -> None:
    names = NameIndex(["沼气池数量", "渠系总长", "培训人次", "脱贫户", "新识别边缘易致贫户"])
    assert names.tokens(0)["数量"] == 2 * 2 * 0.5  # a table suffix weighs half
    assert "人次" not in names.tokens(2) and "培训" in names.tokens(2)  # the unit word is not needed
    assert "贫户" not in names.distinct[4]  # 脱贫户 contains it: not distinct
    assert names.score(0, "建成沼气池45口") > 0 and names.score(1, "渠系17公里") > 0
    assert names.score(3, "全村共有脱贫户") > names.score(4, "全村共有脱贫户")


@pytest.mark.parametrize(
    "text,expect",
    [
        ("位居全县第二位，排名第五。", [("第二位", 2, "位"), ("第五", 5, "")]),
        ("本村各项工作全县排名第一。", [("第一", 1, "")]),
        ("在全市评比中获得第一名，是全省第3名", [("第一名", 1, "名"), ("第3名", 3, "名")]),
        ("我镇综合考核全县第一", [("第一", 1, "")]),
        ("列中国农业区域公用品牌百强榜第12位", [("第12位", 12, "位")]),
    ],
)
def test_ranks(text: str, expect: list) -> None:
    got = [(q.text, q.value, q.unit) for q in extract_ranks(text)]
    assert got == [(t, Decimal(v), u) for t, v, u in expect]
    assert all(q.rank for q in extract_ranks(text))
    assert extract_quantities(text) == [q for q in extract_quantities(text) if not q.rank]


@pytest.mark.parametrize("text", ["第一书记扶贫经费", "全省第一批示范村", "全县第一个建成", "第四届创业大赛", "第一时间赶回",
                                  "二〇〇二年的第一场雪", "他的排名在第十和第十五之间的位置上"])
def test_not_ranks(text: str) -> None:
    assert extract_ranks(text) == []


def test_rank_placeholder() -> None:
    (q,) = extract_ranks("列百强榜第xx位。")
    assert q.placeholder and q.text == "第xx位"
