"""Word in, Word out: ``drafter check draft.docx``, ``--format docx -o checked.docx``, ``drafter figures template``.

The drafts are real .docx files: one built like an office's own (title, Word
heading styles, a paragraph whose runs change formatting mid-sentence, a
table), one made by Drafter's own Word output and then edited. Outputs are
opened again with python-docx and openpyxl.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn

from drafter.cli.main import main
from drafter.output.word import docx_bytes
from drafter.output.draft import Draft, SectionDraft
from drafter.figures import load_figures
from drafter.corpus.kinds import parse_kind
from drafter.output.review import read_draft
from conftest import BUNDLED_CORPUS

FIGURES = Path(__file__).parent / "data" / "figures-work.yaml"  # the 8 work figures the drafts below carry


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["drafter", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def office_draft(path: Path) -> Path:
    """A draft as an office writes it in Word: styles, a bold run mid-sentence, a table."""
    d = docx.Document()
    d.add_paragraph("柳塘村2025年驻村工作总结", style="Title")
    d.add_paragraph("2025年，驻柳塘村工作队在枫林县委、县政府和白沙镇党委的坚强领导下，围绕产业兴旺、生态宜居持续用力，各项工作取得新的进展。现将有关情况总结如下。")
    d.add_paragraph("一、工作开展情况", style="Heading 1")
    d.add_paragraph("（一）提升基础设施水平", style="Heading 2")
    p = d.add_paragraph()
    p.add_run("一是延伸道路网络。完成村内入户道路硬化，")
    bold = p.add_run("新建改造农村公路4.6公里，")
    bold.bold = True
    p.add_run("安装太阳能路灯60盏，村内夜间照明实现全覆盖。二是完善供水设施。自来水入户率达到98%。")
    d.add_paragraph("（二）做强黄桃主导产业。开展技能培训460人次，带动脱贫户就业95户，村集体经济收入达到18.9万元。")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "新建改造垃圾收集点", "12处"
    t.cell(1, 0).text, t.cell(1, 1).text = "脱贫户人均纯收入", "15630元"
    d.add_paragraph("二、存在问题", style="Heading 1")
    d.add_paragraph("一是产业抗风险能力不强，黄桃品种单一，覆盖率仅xx%。")
    d.save(path)
    return path


def comments_by_anchor(path: Path) -> list[tuple[str, str]]:
    """(anchored text, comment text) for every comment of a .docx."""
    doc = docx.Document(str(path))
    text_of = {str(c.comment_id): c.text for c in doc.comments}
    active: dict[str, list[str]] = {}
    out = []
    for el in doc.element.body.iter():
        if el.tag == qn("w:commentRangeStart"):
            active[el.get(qn("w:id"))] = []
        elif el.tag == qn("w:commentRangeEnd"):
            cid = el.get(qn("w:id"))
            out.append(("".join(active.pop(cid)), text_of[cid]))
        elif el.tag == qn("w:t"):
            for parts in active.values():
                parts.append(el.text or "")
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- check a .docx


def test_check_docx_names_paragraph_and_heading(tmp_path, monkeypatch, capsys):
    draft = office_draft(tmp_path / "草稿.docx")
    code, out, _ = run_main(monkeypatch, capsys, "check", str(draft), "--figures", str(FIGURES))
    assert code == 1
    lines = [ln for ln in out.splitlines() if not ln.lstrip().startswith("(bound")]  # binding notes aside
    assert lines[0] == f"{draft}: 3 finding(s)"
    assert "4.6公里" in lines[1] and lines[1].endswith("(paragraph 5, under 一、工作开展情况 › （一）提升基础设施水平)")
    assert "12处" in lines[2] and lines[2].endswith("(paragraph 7 (in table 1), under 一、工作开展情况 › （二）做强黄桃主导产业)")
    assert "xx%" in lines[3] and lines[3].endswith("(paragraph 10, under 二、存在问题)")
    assert not re.search(r"\[\d+:\d+\]", out), "character offsets shown to the user"


def test_check_docx_json_has_locations(tmp_path, monkeypatch, capsys):
    draft = office_draft(tmp_path / "draft.docx")
    code, out, _ = run_main(monkeypatch, capsys, "check", str(draft), "-f", str(FIGURES), "--format", "json")
    assert code == 1
    data = json.loads(out)
    loc = {f["text"]: f["location"] for f in data["findings"]}
    assert loc["4.6公里"] == {"paragraph": 5, "headings": ["一、工作开展情况", "（一）提升基础设施水平"], "table": None}
    assert loc["12处"]["table"] == 1


def test_offsets_map_back_to_the_text(tmp_path):
    d = read_draft(office_draft(tmp_path / "draft.docx"))
    start = d.text.index("4.6公里")
    assert d.locate(start).number == 5 and d.locate(start + 4).number == 5
    assert d.locate(d.text.index("柳塘村2025年")).headings == ()


# ---------------------------------------------------------------- comments written back


def test_format_docx_comments_sit_on_the_offending_runs(tmp_path, monkeypatch, capsys):
    draft = office_draft(tmp_path / "draft.docx")
    before = sha(draft)
    out = tmp_path / "checked.docx"
    code, stdout, err = run_main(monkeypatch, capsys, "check", str(draft), "-f", str(FIGURES), "--format", "docx", "-o", str(out))
    assert code == 1 and "Wrote" in err and "3 comment(s)" in err
    assert sha(draft) == before  # the user's draft is untouched
    anchored = comments_by_anchor(out)
    assert [a for a, _ in anchored] == ["4.6公里", "12处", "xx%"]
    assert anchored[0][1].startswith("〔待核：altered") and "新建改造农村公路 is 4.5公里" in anchored[0][1]
    doc = docx.Document(str(out))
    para = doc.paragraphs[4]
    runs = [(r.text, r.bold, r.font.highlight_color) for r in para.runs if r.text]
    assert ("4.6公里", True, WD_COLOR_INDEX.YELLOW) in runs  # split out of the bold run, still bold
    assert para.text == docx.Document(str(draft)).paragraphs[4].text  # the wording is unchanged
    assert all(c.author == "Drafter" for c in doc.comments)


def test_missing_figures_are_commented_on_the_first_paragraph(tmp_path, monkeypatch, capsys):
    d = docx.Document()
    d.add_paragraph("柳塘村2025年驻村工作总结", style="Title")
    d.add_paragraph("一是延伸道路网络，新建改造农村公路4.5公里。")
    d.save(tmp_path / "short.docx")
    out = tmp_path / "short-checked.docx"
    code, _, _ = run_main(monkeypatch, capsys, "check", str(tmp_path / "short.docx"), "-f", str(FIGURES), "-o", str(out))
    assert code == 1
    anchored = comments_by_anchor(out)
    assert len(anchored) == 7 and all(a == "柳塘村2025年驻村工作总结" for a, _ in anchored)
    assert any("脱贫户人均纯收入 (15630元) does not appear" in c for _, c in anchored)


def test_drafters_own_docx_edited_by_the_user(tmp_path, monkeypatch, capsys):
    """A draft Drafter wrote as .docx, edited in Word (a number changed), checked back."""
    body = "一是延伸道路网络，新建改造农村公路4.5公里。\n\n二是补充亮化设施，安装太阳能路灯60盏。"
    draft = Draft(title="柳塘村2025年驻村工作总结", sections=[SectionDraft(kind="work", heading="一、工作开展情况", body=body)])
    path = tmp_path / "drafter.docx"
    path.write_bytes(docx_bytes(draft))
    doc = docx.Document(str(path))
    para = next(p for p in doc.paragraphs if "路灯" in p.text)
    para.runs[0].text = para.runs[0].text.replace("60盏", "62盏")  # the user's edit
    doc.save(path)
    code, out, _ = run_main(monkeypatch, capsys, "check", str(path), "-f", str(FIGURES), "--format", "docx", "-o", str(tmp_path / "c.docx"))
    assert code == 1
    assert "62盏" in out and "paragraph 4, under 一、工作开展情况" in out
    assert ("62盏", ) == tuple(a for a, c in comments_by_anchor(tmp_path / "c.docx") if c.startswith("〔待核：altered"))


def test_text_draft_to_commented_docx(tmp_path, monkeypatch, capsys):
    md = tmp_path / "draft.md"
    md.write_text("# 柳塘村2025年驻村工作总结\n\n## 一、工作开展情况\n\n（一）提升基础设施水平。新建改造农村公路4.6公里。\n", encoding="utf-8")
    code, out, _ = run_main(monkeypatch, capsys, "check", str(md), "-f", str(FIGURES))
    assert code == 1 and "line 5, under 一、工作开展情况 › （一）提升基础设施水平" in out
    code, out, _ = run_main(monkeypatch, capsys, "check", str(md), "-f", str(FIGURES), "-o", str(tmp_path / "md.docx"))
    doc = docx.Document(str(tmp_path / "md.docx"))
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[1].style.name == "Heading 1"
    assert "4.6公里" in [a for a, _ in comments_by_anchor(tmp_path / "md.docx")]


def test_output_permissions_follow_the_umask(tmp_path, monkeypatch, capsys):
    draft = office_draft(tmp_path / "draft.docx")
    old = os.umask(0o022)
    try:
        run_main(monkeypatch, capsys, "check", str(draft), "-f", str(FIGURES), "-o", str(tmp_path / "a.docx"))
        os.umask(0o077)
        run_main(monkeypatch, capsys, "check", str(draft), "-f", str(FIGURES), "-o", str(tmp_path / "b.docx"))
    finally:
        os.umask(old)
    assert (tmp_path / "a.docx").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.docx").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("case, words", [
    ("same", "is the draft itself"),
    ("exists", "exists; choose another -o or add --force"),
    ("no-o", "--format docx needs -o"),
    ("doc", "old .doc format"),
    ("broken", "not a readable .docx"),
])
def test_bad_requests_exit_2_and_touch_nothing(tmp_path, monkeypatch, capsys, case, words):
    draft = office_draft(tmp_path / "draft.docx")
    (tmp_path / "exists.docx").write_bytes(b"mine")
    args = {
        "same": [str(draft), "-o", str(draft)],
        "exists": [str(draft), "-o", str(tmp_path / "exists.docx")],
        "no-o": [str(draft), "--format", "docx"],
        "doc": [str(tmp_path / "old.doc")],
        "broken": [str(tmp_path / "broken.docx")],
    }[case]
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 old word")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really")
    before = sha(draft)
    code, out, err = run_main(monkeypatch, capsys, "check", *args, "-f", str(FIGURES))
    assert code == 2 and err.startswith("Error: ") and words in err and "Traceback" not in err
    assert sha(draft) == before and (tmp_path / "exists.docx").read_bytes() == b"mine"


# ---------------------------------------------------------------- figures template


def test_figures_template_loads_back_and_has_a_section_drop_down(tmp_path, monkeypatch, capsys):
    out = tmp_path / "figures.xlsx"
    code, stdout, _ = run_main(monkeypatch, capsys, "figures", "template", "-o", str(out))
    assert code == 0 and "Wrote" in stdout
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()
    fs = load_figures(out)
    assert [(f.name, str(f.value), f.unit, f.section, f.id) for f in fs.figures] == [("新建改造农村公路", "4.5", "公里", "work", "F01")]
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == ["name", "value", "unit", "section", "id"]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and "D2:D501" in str(lists[0].sqref)
    choices = lists[0].formula1.strip('"').split(",")
    assert [parse_kind(c) for c in choices] == ["work", "next_steps", "problems", "opening"]
    assert "填写说明" in wb.sheetnames

    # an office fills it in: replaces the example, adds rows with drop-down values and text values
    ws["A2"], ws["B2"], ws["C2"], ws["D2"] = "新建改造农村公路", "12.60", "公里", "工作开展情况"
    ws.append(["脱贫户人均纯收入", "15,630", "元", None, None])
    ws.append(["力争村集体经济收入", "20", "万元", "下步工作打算", None])
    ws.append(["群众反映较多的问题", "3", "个", "存在问题", None])
    wb.save(out)
    fs = load_figures(out)
    assert [(f.name, f.value_text, f.section) for f in fs.figures] == [
        ("新建改造农村公路", "12.60", "work"), ("脱贫户人均纯收入", "15630", None),
        ("力争村集体经济收入", "20", "next_steps"), ("群众反映较多的问题", "3", "problems")]


def test_figures_template_keeps_an_existing_file(tmp_path, monkeypatch, capsys):
    out = tmp_path / "figures.xlsx"
    out.write_bytes(b"an office's own table")
    code, _, err = run_main(monkeypatch, capsys, "figures", "template", "-o", str(out))
    assert code == 2 and "exists" in err and out.read_bytes() == b"an office's own table"
    code, _, err = run_main(monkeypatch, capsys, "figures", "template", "-o", str(tmp_path / "figures.csv"))
    assert code == 2 and ".xlsx" in err
    assert run_main(monkeypatch, capsys, "figures", "template", "-o", str(out), "--force")[0] == 0
    assert load_figures(out).figures


def _umask() -> int:
    from drafter.files import umask

    return umask()
