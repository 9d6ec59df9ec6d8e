"""read_figure_rows / check_rows: every bad row of a figures file at once, in load_figures' words."""

from __future__ import annotations

import json

import pytest

from drafter.errors import InputError
from drafter.figures import check_rows, load_figures, read_figure_rows
from conftest import BUNDLED_CORPUS


def first_error(path) -> str:
    with pytest.raises(InputError) as exc:
        load_figures(path)
    return str(exc.value)


def test_good_file_has_no_row_errors_and_keeps_its_header():
    header, rows = read_figure_rows(BUNDLED_CORPUS / "figures-example.yaml")
    assert [r.error for r in rows] == [None] * 14
    assert header["organisation"] == "枫林县白沙镇柳塘村驻村工作队" and len(header["facts"]) == 8
    assert rows[2].entry["name"] == "新建改造农村公路" and rows[2].where.endswith("figure #3")


def test_csv_in_gb18030_every_bad_line_named(tmp_path):
    path = tmp_path / "figures.csv"
    path.write_bytes("name,value,unit,section\n公路,4.5,公里,work\n路灯,六十,盏,\n培训,460,人次,nowhere\n公路,5,公里,\n".encode("gb18030"))
    header, rows = read_figure_rows(path, shown="本期.csv")
    assert header == {}
    errors = [r.error for r in rows]
    assert errors[0] is None
    assert errors[1] == first_error(path).replace(str(path), "本期.csv")
    assert errors[2].startswith("本期.csv: line 4 (培训): section") and "unknown section kind" in errors[2]
    assert errors[3].startswith("本期.csv: line 5 (公路): duplicate figure name (also at 本期.csv: line 2")


def test_xlsx_rows(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "2025"
    for row in (["name", "value", "unit"], ["公路", 4.5, "公里"], ["路灯", None, "盏"], [None, None, None], ["培训", "4.5万", "人次"]):
        wb.active.append(row)
    path = tmp_path / "f.xlsx"
    wb.save(path)
    _, rows = read_figure_rows(path)
    assert [r.where.split(": ", 1)[1] for r in rows] == ["sheet '2025' row 2", "sheet '2025' row 3", "sheet '2025' row 5"]
    assert rows[0].error is None and "'value' is missing" in rows[1].error and "multiplier" in rows[2].error
    assert rows[1].error == first_error(path)


def test_whole_file_errors_still_raise(tmp_path):
    cases = {"a.yaml": "figures: [ {name: x", "b.json": '{"figures": [', "c.csv": "name,value\n公路,1\n",
             "d.yaml": "figures: []\nsecret: 1\n", "e.txt": "name,value,unit\n"}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=name):
            read_figure_rows(path)


def test_json_list_and_check_rows(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps([{"name": "公路", "value": "１,２００", "unit": "米"}, {"name": "路灯", "value": 3}], ensure_ascii=False),
                    encoding="utf-8")
    _, rows = read_figure_rows(path)
    assert rows[0].error is None and "'unit' is missing" in rows[1].error
    rows = check_rows([{"name": "公路", "value": "1", "unit": "公里", "section": ""}, "not a mapping"], ["row 1", "row 2"])
    assert rows[0].error is None and rows[1].error.startswith("row 2: a figure must be a mapping")


def test_xlsx_merged_cells_read_as_load_figures_reads_them(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    for row in (["name", "value", "unit"], ["公路", 4.5, "公里"], ["步道", 3, None]):
        wb.active.append(row)
    wb.active.merge_cells("C2:C3")  # one unit cell for two rows
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    _, rows = read_figure_rows(path)
    assert [r.error for r in rows] == [None, None]
    assert [f.render() for f in load_figures(path).figures] == ["4.5公里", "3公里"]
