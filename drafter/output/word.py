"""Word output in the official-document layout of GB/T 9704-2012 (党政机关公文格式).

Rules applied (GB/T 9704-2012 §5.2, §7):

* A4 paper (210 × 297 mm); margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm.
* Title: 2号 (22 pt) 方正小标宋简体, centred.
* Body: 3号 (16 pt) 仿宋_GB2312, first-line indent of two characters, fixed line spacing 28 pt
  (22 lines a page).
* Level-1 headings (一、): 3号 黑体; level-2 headings (（一）): 3号 楷体_GB2312.
* Page numbers: 4号 (14 pt) 宋体 Arabic numerals with a dash each side (— 1 —), bottom centre.

Fonts are set by name (East Asian and Latin); Word substitutes when a font is
not installed. Styles are named ``Drafter Title``, ``Drafter Body``,
``Drafter Heading 1`` and ``Drafter Heading 2`` so that tests (and offices)
can find them.
"""

from __future__ import annotations

import io
import re

from drafter.output.draft import Draft

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
_H2 = re.compile(r"^（[一二三四五六七八九十]+）")


def _font(style_or_run, name: str, size_pt: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = style_or_run.font
    font.name = name
    font.size = Pt(size_pt)
    font.bold = bold
    el = style_or_run.element
    rpr = el.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _page_number(paragraph) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field_char(kind: str):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    paragraph.add_run("— ")
    run = paragraph.add_run()
    run._r.append(field_char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = "PAGE"
    run._r.append(instr)
    run._r.append(field_char("end"))
    paragraph.add_run(" —")
    for r in paragraph.runs:
        _font(r, PAGE_FONT, 14)


def docx_bytes(draft: Draft) -> bytes:
    """Render a draft to a .docx file (bytes) in the GB/T 9704-2012 layout.

    Findings still marked (〔待核：…〕) stay visible in the text.
    """
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)

    def style(name: str, font: str, size: float, bold: bool = False):
        st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        _font(st, font, size, bold)
        pf = st.paragraph_format
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(28)
        pf.space_before = pf.space_after = Pt(0)
        return st

    title = style("Drafter Title", TITLE_FONT, 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(28)
    body = style("Drafter Body", BODY_FONT, 16)
    body.paragraph_format.first_line_indent = Pt(32)
    h1 = style("Drafter Heading 1", H1_FONT, 16)
    h1.paragraph_format.first_line_indent = Pt(32)
    h2 = style("Drafter Heading 2", H2_FONT, 16)
    h2.paragraph_format.first_line_indent = Pt(32)

    convert = draft._convert
    if draft.with_title:
        doc.add_paragraph(convert(draft.title), style=title)
    for s in draft.sections:
        if s.heading:
            doc.add_paragraph(convert(s.heading), style=h1)
        for para in convert(s.marked_body()).split("\n\n"):
            para = para.strip().lstrip("> ")
            if para:
                doc.add_paragraph(para, style=h2 if _H2.match(para) and len(para) < 40 else body)
    if draft.incomplete_note():
        doc.add_paragraph(convert(draft.incomplete_note()), style=body)
    footer = sec.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
