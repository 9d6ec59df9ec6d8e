"""drafter.check_draft: each kind of finding, and a clean draft reported clean."""

from __future__ import annotations

from decimal import Decimal

import pytest

from drafter import check_draft
from drafter.errors import InputError
from drafter.figures import Figure, FigureSet
from drafter.guard.findings import FINDING_KINDS


def fig(name: str, value: str, unit: str) -> Figure:
    return Figure(name=name, value=Decimal(value), unit=unit, value_text=value)


FIGURES = [
    fig("新建改造农村公路", "12.6", "公里"),
    fig("脱贫户人均纯收入", "15200", "元"),
    fig("培训农民", "1200", "人次"),
    fig("村集体经济收入增长", "8.5", "%"),
    fig("路灯", "120", "盏"),
    fig("文化广场", "2", "处"),
    fig("生活垃圾无害化处理率", "95", "%"),
    fig("投入帮扶资金", "128", "万元"),
    fig("存栏奶牛", "2.5", "万头"),
]

CLEAN = """（一）基础设施建设

今年以来，我村坚持以人民为中心的发展思想，千方百计补齐短板，进一步推进城乡一体化。一是新建改造农村公路12.6公里，打通了群众出行的“最后一公里”；二是安装路灯120盏，建成文化广场2处，村容村貌焕然一新。

（二）产业发展和群众增收

村两委一班人统一思想、一线推动，形成了一批可复制的经验。脱贫户人均纯收入达到15200元，村集体经济收入增长8.5%，存栏奶牛2.5万头。全年培训农民1200人次，投入帮扶资金128万元，生活垃圾无害化处理率达到95%。

下一步，我们将坚持一张蓝图绘到底，持续巩固“两不愁三保障”成果，落实“四个意识”，推动“十四五”规划落地见效，以实际行动迎接党的二十大胜利召开。"""


def kinds(result) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in result.findings]


def test_clean_draft_is_clean() -> None:
    result = check_draft(CLEAN, FIGURES)
    assert result.ok, kinds(result)
    assert all(s.found for s in result.figures)
    assert result.notes == []


def test_figureset_and_equivalent_forms() -> None:
    draft = "新建改造农村公路12.6千米，脱贫户人均纯收入达到1.52万元，存栏奶牛25000头，村集体经济收入增长百分之八点五。"
    figures = FigureSet(figures=FIGURES[:4] + [FIGURES[8]])
    result = check_draft(draft, figures)
    assert kinds(result) == [("missing", "")]  # 培训农民 only
    assert result.findings[0].figure == "培训农民"


def test_traditional_script_draft() -> None:
    draft = "新建改造農村公路12.6公里，存欄奶牛2.5萬頭，投入幫扶資金128萬元。"
    result = check_draft(draft, [FIGURES[0], FIGURES[7], FIGURES[8]])
    assert result.ok, kinds(result)


def test_missing() -> None:
    result = check_draft("新建改造农村公路12.6公里。", FIGURES[:2])
    assert kinds(result) == [("missing", "")]
    assert result.findings[0].figure == "脱贫户人均纯收入"
    assert [s.found for s in result.figures] == [True, False]


def test_altered_value() -> None:
    result = check_draft("新建改造农村公路4.6公里，生活垃圾无害化处理率达到97%。",
                         [fig("新建改造农村公路", "4.5", "公里"), FIGURES[6]])
    assert kinds(result) == [("altered", "4.6公里"), ("altered", "97%")]
    assert [f.figure for f in result.findings] == ["新建改造农村公路", "生活垃圾无害化处理率"]


def test_altered_change_written_as_level() -> None:
    result = check_draft("村集体经济收入增至8.5%。", [FIGURES[3]])
    assert kinds(result) == [("altered", "8.5%")]


def test_invented() -> None:
    result = check_draft("新建改造农村公路12.6公里，惠及群众3000余人。", [FIGURES[0]])
    assert kinds(result) == [("invented", "3000余人")]


def test_stale_number_from_context() -> None:
    context = ["上半年来新建、改造农村公路3.2公里，完成天然气“村村通”改造93户。"]
    result = check_draft("新建改造农村公路12.6公里，完成天然气改造93户。", [FIGURES[0]], context=context)
    assert kinds(result) == [("stale", "93户")]


def test_unit_mismatch() -> None:
    result = check_draft("生活垃圾无害化处理率提高95个百分点。", [FIGURES[6]])
    assert kinds(result) == [("unit_mismatch", "95个百分点")]
    assert result.findings[0].figure == "生活垃圾无害化处理率"


def test_misplaced() -> None:
    result = check_draft("新建文化广场120盏，安装路灯2处。", [FIGURES[4], FIGURES[5]])
    assert kinds(result) == [("misplaced", "120盏"), ("misplaced", "2处")]
    assert [f.figure for f in result.findings] == ["路灯", "文化广场"]
    assert not any(s.found for s in result.figures)


def test_misplaced_with_shared_verb() -> None:
    figures = [fig("新建路灯", "120", "盏"), fig("新建文化广场", "2", "处")]
    assert kinds(check_draft("新建文化广场120盏。", figures)) == [("misplaced", "120盏"), ("missing", "")]
    assert check_draft("新建路灯120盏、文化广场2处。", figures).ok
    assert check_draft("建成120盏路灯和2处文化广场。", figures).ok


def test_placeholder() -> None:
    result = check_draft("新建改造农村公路12.6公里，覆盖率达到xx%。", [FIGURES[0]])
    assert kinds(result) == [("placeholder", "xx%")]


def test_every_kind_is_known() -> None:
    drafts = {
        "missing": ("", [FIGURES[0]]),
        "altered": ("新建改造农村公路12.7公里", [FIGURES[0]]),
        "invented": ("新建改造农村公路12.6公里，新增93户", [FIGURES[0]]),
        "unit_mismatch": ("新建改造农村公路12.6米", [FIGURES[0]]),
        "placeholder": ("新建改造农村公路x.x公里", [FIGURES[0]]),
    }
    for kind, (draft, figures) in drafts.items():
        result = check_draft(draft, figures)
        assert kind in [f.kind for f in result.findings], (kind, kinds(result))
        assert all(f.kind in FINDING_KINDS for f in result.findings)


def test_findings_are_in_draft_order_with_missing_last() -> None:
    result = check_draft("新增93户，新建改造农村公路12.7公里。", FIGURES[:2])
    starts = [f.start for f in result.findings if f.kind != "missing"]
    assert starts == sorted(starts)
    assert result.findings[-1].kind == "missing"


def test_to_dict_shape() -> None:
    data = check_draft("新建改造农村公路12.7公里。", FIGURES[:1]).to_dict()
    assert data["ok"] is False
    assert set(data["findings"][0]) >= {"kind", "text", "start", "end", "figure"}
    assert data["figures"] == [{"name": "新建改造农村公路", "found": False}]


def test_chinese_numerals_get_a_style_note_not_a_finding() -> None:
    result = check_draft("培训农民一千二百人次。", [FIGURES[2]])
    assert result.ok
    assert len(result.notes) == 1 and "GB/T 15835-2011" in result.notes[0].explanation
    assert "1200人次" in result.notes[0].explanation


def test_small_count_in_chinese_has_no_note() -> None:
    assert check_draft("建成文化广场两处。", [FIGURES[5]]).notes == []


def test_bad_figures_argument() -> None:
    with pytest.raises(InputError):
        check_draft("草稿", ["not a figure"])  # type: ignore[list-item]


def test_connectives_are_whole_words_not_characters_of_a_name():
    """及 inside 普及率 is not the connective 及: the clause still names its figure."""
    from decimal import Decimal

    from drafter.figures import Figure

    figs = [Figure("新建通组公路", Decimal("3.8"), "公里", None, None, "3.8"),
            Figure("农村自来水普及率", Decimal("97.5"), "%", None, None, "97.5")]
    assert check_draft("一是新建通组公路3.8公里；二是农村自来水普及率达到97.5%。", figs).ok


def test_a_number_inside_a_figure_name_is_the_users_words():
    from decimal import Decimal

    from drafter.figures import Figure

    figs = [Figure("年出栏千头以上猪场存栏生猪", Decimal("1100"), "头", None, None, "1100")]
    assert check_draft("三是年出栏千头以上猪场存栏生猪达到1100头。", figs).ok
    assert not check_draft("三是年出栏千头以上猪场存栏生猪达到1100头，另有千头以上牛场。", figs).ok
