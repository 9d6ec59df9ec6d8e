"""An empty figures workbook for offices to fill in: ``drafter figures template -o figures.xlsx``.

The first sheet has the columns :func:`drafter.figures.load_figures` reads
(``name, value, unit, section, id``), one example row, a drop-down of the
section kinds on the ``section`` column (an openpyxl ``DataValidation`` list of
the Chinese labels, which the loader accepts), an input hint on every column
and cells of the ``value`` column formatted as text, so that a value is kept
exactly as typed (``12.60``, ``1,250``). A second sheet, 填写说明, explains
the columns. The loader reads only the first sheet.
"""

from __future__ import annotations

import io

from drafter.corpus.kinds import label

COLUMNS = ("name", "value", "unit", "section", "id")
"""Header row, in the loader's order (:data:`drafter.figures._FIGURE_KEYS`)."""
SECTION_KINDS = ("work", "next_steps", "problems", "opening")
"""Section kinds offered in the drop-down, most used first (labels from ``drafter/data/section_kinds.yaml``)."""
EXAMPLE_ROW = ("新建改造农村公路", "4.5", "公里", "work", "F01")
"""The example row (its section written as the Chinese label)."""
ROWS = 500
"""Rows below the header that carry the drop-down and the text format."""

HINTS = {
    "name": ("名称", "这项数字统计的是什么，按报告里的写法填，如：新建改造农村公路、脱贫户人均纯收入。每行名称不能重复。"),
    "value": ("数值", "只填数字，按要写进报告的样子填：4.5、15630、98。不要写“万”“约”，“万”请写在单位里（万元）。"),
    "unit": ("单位", "计量单位，如：公里、元、万元、%、户、人次。纯数字可留空。"),
    "section": ("所属部分", "从下拉列表选择。可留空：名称含计划、力争、目标的归下步工作打算，其余归工作开展情况。"),
    "id": ("编号", "可留空。填了便于核对，如 F01。"),
}


def template_bytes() -> bytes:
    """The template workbook (``.xlsx``) as bytes; see the module docs for what it holds."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "figures"
    ws.append(list(COLUMNS))
    example = list(EXAMPLE_ROW)
    example[3] = label(example[3])
    ws.append(example)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for col, name in enumerate(COLUMNS, 1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        title, hint = HINTS[name]
        cell.comment = Comment(f"{title}：{hint}", "Drafter")
    for letter, width in zip("ABCDE", (28, 12, 10, 16, 10)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    for row in range(2, ROWS + 2):
        ws.cell(row=row, column=2).number_format = "@"
    last = ROWS + 1
    sections = DataValidation(
        type="list", formula1='"' + ",".join(label(k) for k in SECTION_KINDS) + '"', allow_blank=True,
        showDropDown=False, showErrorMessage=True, errorTitle="所属部分",
        error="请从下拉列表中选择：" + "、".join(label(k) for k in SECTION_KINDS) + "（或留空）。",
        showInputMessage=True, promptTitle=HINTS["section"][0], prompt=HINTS["section"][1][:255],
    )
    sections.add(f"D2:D{last}")
    ws.add_data_validation(sections)
    for col, name in ((1, "name"), (2, "value"), (3, "unit"), (5, "id")):
        letter = "ABCDE"[col - 1]
        hint = DataValidation(allow_blank=True, showInputMessage=True, promptTitle=HINTS[name][0], prompt=HINTS[name][1][:255])
        hint.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(hint)

    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 100
    for line in (
        "本表是 Drafter 的数字表：每行一项本期数字，起草时每个数字都按这里的名称、数值和单位原样写进报告。",
        "第一行是列名（name, value, unit, section, id），请勿修改；第二行是示例，请改成或删去。",
        *(f"{name}（{title}）：{hint}" for name, (title, hint) in HINTS.items()),
        "标题、单位名称、时期、本期工作事项（facts）和专有名称（names）请写在 YAML 数字文件里（见 README）。",
        "用法：drafter write --figures figures.xlsx；核对：drafter check 草稿.docx --figures figures.xlsx",
    ):
        notes.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
