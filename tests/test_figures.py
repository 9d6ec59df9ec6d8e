"""Figures files: formats, normalisation and every bad-input error naming file and field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from drafter.errors import InputError
from drafter.figures import figures_from_data, load_figures
from conftest import BUNDLED_CORPUS


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_example_file_loads():
    fs = load_figures(BUNDLED_CORPUS / "figures-example.yaml")
    assert len(fs.figures) >= 8
    assert fs.organisation and fs.period and fs.facts and fs.names
    assert {f.section for f in fs.figures} == {"opening", "work", "problems", "next_steps"}  # a whole report's
    assert [f.name for f in fs.figures if f.role == "base"] == ["村民小组", "户籍人口"]


def test_yaml_full_and_normalised_values(tmp_path):
    p = write(tmp_path, "f.yaml", """
title: 测试村2025年工作总结
figures:
  - {name: 新建改造农村公路, value: 12.6, unit: 公里, section: 工作開展情況, id: road}
  - {name: 开展技能培训, value: "１,２００", unit: 人次}
  - {name: 新建改造旧路, value: 4.5公里}
  - {name: 自来水普及率, value: 98, unit: ％}
facts: [成立村红白理事会, {text: 村史馆建成开放, section: work}]
names: [测试村]
""")
    fs = load_figures(p)
    a, b, c, d = fs.figures
    assert (a.value, a.unit, a.section, a.id, a.render()) == (Decimal("12.6"), "公里", "work", "road", "12.6公里")
    assert (b.value, b.render()) == (Decimal("1200"), "1200人次")
    assert (c.value, c.unit) == (Decimal("4.5"), "公里")
    assert d.unit == "%"
    assert [f.text for f in fs.facts] == ["成立村红白理事会", "村史馆建成开放"]
    assert fs.names == ["测试村"]


def test_bare_list_json_and_csv_variants(tmp_path):
    j = write(tmp_path, "f.json", json.dumps([{"name": "培训", "value": 30, "unit": "人次"}], ensure_ascii=False))
    assert load_figures(j).figures[0].render() == "30人次"
    for enc, prefix in (("utf-8", "\ufeff"), ("gb18030", "")):
        c = write(tmp_path, f"f-{enc}.csv", prefix + "name,value,unit,section\n新建公路,1.5,公里,work\n安装路灯,60,盏,\n", enc)
        fs = load_figures(c)
        assert [f.render() for f in fs.figures] == ["1.5公里", "60盏"]


def test_xlsx(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["name", "value", "unit"])
    ws.append(["新建公路", 4.5, "公里"])
    ws.append(["培训", 1200, "人次"])
    p = tmp_path / "f.xlsx"
    wb.save(p)
    assert [f.render() for f in load_figures(p).figures] == ["4.5公里", "1200人次"]


@pytest.mark.parametrize(
    "name, text, needle",
    [
        ("bad.yaml", "figures: [ {name: a, value: 1", "line"),
        ("bad.json", "{\"figures\": [", "line 1"),
        ("empty.yaml", "figures: []", "empty"),
        ("nonnum.yaml", "figures: [{name: 公路, value: 很多, unit: 公里}]", "figure #1 (公路): value '很多' is not a number"),
        ("nounit.yaml", "figures: [{name: 公路, value: 3}]", "'unit' is missing"),
        ("novalue.yaml", "figures: [{name: 公路, unit: 公里}]", "'value' is missing"),
        ("dup.yaml", "figures: [{name: 公路, value: 1, unit: 公里}, {name: 公路, value: 2, unit: 公里}]", "duplicate"),
        ("unitclash.yaml", "figures: [{name: 公路, value: 4.5公里, unit: 米}]", "'unit' says '米'"),
        ("unknown.yaml", "figures: [{name: 公路, value: 1, unit: 公里, colour: red}]", "unknown field"),
        ("topkey.yaml", "figure: []", "unknown key"),
        ("kind.yaml", "figures: [{name: 公路, value: 1, unit: 公里, section: 花絮}]", "unknown section kind"),
        ("missingcol.csv", "name,value\n公路,1\n", "'unit' is missing"),
        ("badrow.csv", "name,value,unit\n公路,abc,公里\n", "line 2"),
        ("f.txt", "x", "unknown figures format"),
    ],
)
def test_bad_input_names_file_and_field(tmp_path, name, text, needle):
    p = write(tmp_path, name, text)
    with pytest.raises(InputError) as exc:
        load_figures(p)
    assert str(p) in str(exc.value)
    assert needle in str(exc.value)


def test_missing_file_and_bad_xlsx(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_figures(tmp_path / "nope.yaml")
    bad = write(tmp_path, "bad.xlsx", "not a zip")
    with pytest.raises(InputError, match="xlsx"):
        load_figures(bad)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
                    lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.sampled_from(["name", "value", "unit", "section", "id", "figures", "facts", "names", "x"]), ch, max_size=5),
                    max_leaves=12))
def test_fuzz_figures_loader_only_raises_input_error(data):
    """Arbitrary parsed YAML/JSON never crashes the loader: it loads or raises InputError."""
    from pathlib import Path

    try:
        figures_from_data(data, Path("fuzz.yaml"))
    except InputError:
        pass


def test_nan_and_inf_refused(tmp_path):
    p = write(tmp_path, "nan.json", '{"figures": [{"name": "a", "value": NaN, "unit": "个"}]}')
    with pytest.raises(InputError, match="finite"):
        load_figures(p)


def test_facts_without_figures_are_accepted(tmp_path):
    p = write(tmp_path, "facts.yaml", "figures: []\nfacts: [{text: 产业基础薄弱, section: problems}]\n")
    fs = load_figures(p)
    assert fs.figures == [] and fs.facts[0].section == "problems"


def test_a_fact_with_a_number_is_refused(tmp_path):
    p = write(tmp_path, "f.yaml", "figures: [{name: 公路, value: 1, unit: 公里}]\nfacts: [经过三个月集中整治环境明显改善]\n")
    with pytest.raises(InputError, match="facts #1.*三个月"):
        load_figures(p)
