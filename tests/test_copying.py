"""The copy guard (issue 7): runs of 20+ characters standing verbatim in a passage, set phrases aside."""

from __future__ import annotations

from decimal import Decimal

from drafter import check_draft
from drafter.guard.copying import find_copied, set_phrases
from drafter.figures import Figure, FigureSet

# From the shared corpus (彙報2 and 彙報3), traditional script with half-width commas.
OLD = [
    "堅持把城鄉環衛一體化作為鄉村振興的基礎工程,統籌推進農村生活垃圾收運處置體系建設,農村人居環境持續改善。",
    "今年以來,在市委、市政府的堅強領導下,把做好鞏固拓展脫貧攻堅成果同鄉村振興有效銜接作為首要政治任務、第一民生工程和頭等大事。",
]

CLEAN = "一年来，我县聚焦群众关心的环境问题，推动垃圾分类试点覆盖全部乡镇，村容村貌明显改观。"


def test_a_copied_sentence_is_caught_across_scripts_and_punctuation():
    copied = "统筹推进农村生活垃圾收运处置体系建设，农村人居环境持续改善"
    draft = "一年来，我县" + copied + "。"
    found = find_copied(draft, OLD)
    assert [f.kind for f in found] == ["copied"]
    f = found[0]
    assert draft[f.start:f.end] == f.text
    assert f.text.startswith("县统筹推进") or f.text.startswith("统筹推进")
    assert f.text.rstrip("。").endswith("持续改善")
    assert "verbatim" in f.explanation


def test_offsets_survive_whitespace_and_line_breaks():
    draft = "（一）环境整治\n\n统筹推进农村生活垃圾 收运处置体系建设，\n农村人居环境持续改善。"
    found = find_copied(draft, OLD)
    assert len(found) == 1
    assert draft[found[0].start:found[0].end] == found[0].text
    assert found[0].text.startswith("统筹推进") and "\n" in found[0].text


def test_clean_draft_and_short_overlaps_are_silent():
    assert find_copied(CLEAN, OLD) == []
    # 19 characters in common: below the threshold; 20: reported
    assert find_copied("我们要统筹推进农村生活垃圾收运处置体系建设，", OLD) == []
    assert find_copied("我们要统筹推进农村生活垃圾收运处置体系建设，农", OLD) != []


def test_set_phrases_do_not_count():
    assert "巩固拓展脱贫攻坚成果同乡村振兴有效衔接" in set_phrases()
    draft = "我局把做好巩固拓展脱贫攻坚成果同乡村振兴有效衔接作为重点工作。"
    assert find_copied(draft, OLD) == []
    # a sentence copied around the set phrase still counts by its other characters
    draft = "今年以来，在市委、市政府的坚强领导下，把做好巩固拓展脱贫攻坚成果同乡村振兴有效衔接作为首要政治任务。"
    assert find_copied(draft, OLD) == []  # 17 characters besides the set phrases
    draft = draft.rstrip("。") + "、第一民生工程和头等大事。"
    found = find_copied(draft, OLD)
    assert len(found) == 1 and found[0].text.startswith("今年以来")


def test_min_chars_is_a_parameter():
    assert find_copied("统筹推进农村生活垃圾收运", OLD, min_chars=10) != []
    assert find_copied("统筹推进农村生活垃圾收运", OLD) == []


def test_check_draft_reports_copied_with_context_only():
    fs = FigureSet(figures=[Figure("农村生活垃圾收运率", Decimal("96"), "%", None, None, "96")], organisation="清河县城市管理局")
    draft = "坚持把城乡环卫一体化作为乡村振兴的基础工程，农村生活垃圾收运率达到96%。"
    result = check_draft(draft, fs, context=OLD)
    assert [f.kind for f in result.findings] == ["copied"]
    assert check_draft(draft, fs).ok
    assert check_draft("坚持城乡环卫一体化，农村生活垃圾收运率达到96%。", fs, context=OLD).ok
