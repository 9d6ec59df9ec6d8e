"""Tests of drafter.corpus.loaders: file types, encodings, and files that are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafter.errors import InputError
from drafter.corpus.loaders import (
    LoadedText,
    Skipped,
    decode_bytes,
    iter_files,
    markdown_to_text,
    read_document,
    text_problem,
)

REPORT = (
    "2024年青禾村驻村工作总结\n"
    "今年以来，驻村工作队在县委的领导下开展工作，现将情况汇报如下。\n"
    "一、工作开展情况\n"
    "全年新建改造农村公路12.6公里，脱贫户人均纯收入15200元，同比增长3.2%。\n"
    "二、存在问题\n"
    "村集体经济基础薄弱，增收渠道不多。\n"
)
REPORT_TRAD = (
    "2024年青禾村駐村工作總結\n"
    "今年以來，駐村工作隊在縣委的領導下開展工作，現將情況彙報如下。\n"
    "一、工作開展情況\n"
    "全年新建改造農村公路12.6公里，脫貧戶人均純收入15200元，同比增長3.2%。\n"
)


def make_docx(path: Path) -> Path:
    """A .docx with a title, styled headings (one without a 公文 marker) and a table."""
    import docx

    d = docx.Document()
    d.add_heading("2024年青禾村驻村工作总结", level=0)
    d.add_paragraph("今年以来，驻村工作队在县委的领导下开展工作，现将情况汇报如下。")
    d.add_heading("一、工作开展情况", level=1)
    d.add_paragraph("全年新建改造农村公路12.6公里，同比增长3.2%。")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([("指标", "数值"), ("农村公路", "12.6公里")]):
        for c, val in enumerate(row):
            table.cell(r, c).text = val
    d.add_heading("存在的问题和不足", level=1)
    d.add_paragraph("村集体经济基础薄弱，增收渠道不多。")
    d.save(str(path))
    return path


def make_text_pdf(path: Path, lines: list[str]) -> Path:
    """A text PDF (reportlab's built-in Chinese CID font), one string per line."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 11)
    y = 800
    for line in lines:
        if line:
            c.drawString(40, y, line)
        y -= 16
    c.showPage()
    c.save()
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A PDF page holding only graphics, like a scan without OCR."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.rect(50, 50, 400, 600, fill=1)
    c.showPage()
    c.save()
    return path


@pytest.mark.parametrize(
    ("codec", "text", "expected"),
    [
        ("utf-8", REPORT, "utf-8"),
        ("utf-8-sig", REPORT, "utf-8-sig"),
        ("utf-16", REPORT, "utf-16"),
        ("gb18030", REPORT, "gb18030"),
        ("gbk", REPORT, "gb18030"),
        ("big5", REPORT_TRAD, "big5"),
    ],
)
def test_encodings_detected_and_reported(tmp_path: Path, codec: str, text: str, expected: str) -> None:
    f = tmp_path / "report.txt"
    f.write_bytes(text.encode(codec))
    got = read_document(f)
    assert isinstance(got, LoadedText), got
    assert got.text == text
    assert got.encoding == expected
    assert got.format == "txt"


def test_unsure_detection_is_skipped_not_guessed() -> None:
    # four GBK characters could as well be another double-byte encoding
    assert isinstance(decode_bytes("工作总结".encode("gbk")), str)


def test_mixed_encodings_are_skipped(tmp_path: Path) -> None:
    f = tmp_path / "mixed.txt"
    f.write_bytes(REPORT_TRAD.encode("utf-8") + REPORT_TRAD.encode("big5") * 3)
    got = read_document(f)
    assert isinstance(got, Skipped)


def test_non_chinese_text_is_skipped(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("This is an English note about the corpus folder.\n" * 5, encoding="utf-8")
    got = read_document(f)
    assert isinstance(got, Skipped) and "not Chinese" in got.reason


def test_text_problem_flags_mojibake() -> None:
    assert text_problem(REPORT) is None
    assert text_problem(REPORT.encode("utf-8").decode("latin-1")) is not None
    assert text_problem("abc\ufffd工作") is not None
    assert text_problem("   \n") is not None


def test_empty_binary_huge_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:  # sparse: nothing is really written
        fh.truncate(51 * 1024 * 1024)
    got = read_document(empty)
    assert isinstance(got, Skipped) and got.reason == "empty file"
    got = read_document(binary)
    assert isinstance(got, Skipped) and "binary" in got.reason

    def no_read(self: Path) -> bytes:
        raise AssertionError("a huge file must not be read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    got = read_document(huge)
    assert isinstance(got, Skipped) and "too large" in got.reason

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    ok = tmp_path / "ok.txt"
    ok.write_text(REPORT, encoding="utf-8")
    monkeypatch.setattr(Path, "read_bytes", denied)
    got = read_document(ok)
    assert isinstance(got, Skipped) and "Permission denied" in got.reason


@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_legacy_word_formats_skipped_with_hint(tmp_path: Path, suffix: str) -> None:
    f = tmp_path / f"old{suffix}"
    f.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    got = read_document(f)
    assert isinstance(got, Skipped) and "convert it to .docx" in got.reason


def test_unsupported_type_skipped(tmp_path: Path) -> None:
    f = tmp_path / "figures.xlsx"
    f.write_bytes(b"PK\x03\x04")
    got = read_document(f)
    assert isinstance(got, Skipped) and "unsupported" in got.reason


def test_docx_paragraphs_tables_and_headings(tmp_path: Path) -> None:
    got = read_document(make_docx(tmp_path / "report.docx"))
    assert isinstance(got, LoadedText), got
    lines = got.text.split("\n")
    assert "一、工作开展情况" in lines
    assert "农村公路\t12.6公里" in lines
    assert ("一、工作开展情况", 1) in got.headings
    assert ("存在的问题和不足", 1) in got.headings
    assert got.encoding == "docx"


def test_damaged_docx_skipped(tmp_path: Path) -> None:
    f = tmp_path / "broken.docx"
    f.write_bytes(b"PK\x03\x04 not really a zip")
    got = read_document(f)
    assert isinstance(got, Skipped) and ".docx" in got.reason


def test_text_pdf_read_and_scanned_pdf_skipped(tmp_path: Path) -> None:
    pdf = make_text_pdf(tmp_path / "report.pdf", REPORT.splitlines())
    got = read_document(pdf)
    assert isinstance(got, LoadedText), got
    assert "一、工作开展情况" in got.text.split("\n")
    assert "12.6公里" in got.text
    scanned = read_document(make_scanned_pdf(tmp_path / "scan.pdf"))
    assert isinstance(scanned, Skipped) and scanned.reason == "no text layer (scanned?)"


def test_html_drops_scripts_and_navigation(tmp_path: Path) -> None:
    html = (
        "<html><head><meta charset='gb2312'><title>范文网</title>"
        "<script>var a = '广告';</script><style>p{}</style></head><body>"
        "<nav>首页 | 工作总结 | 工作汇报</nav>"
        "<h1>2024年青禾村驻村工作总结</h1><p>今年以来，驻村工作队在县委的领导下开展工作。</p>"
        "<h2>一、工作开展情况</h2><p>全年新建改造农村公路12.6公里，<b>同比增长</b>3.2%。<br>"
        "脱贫户人均纯收入15200元。</p>"
        "<table><tr><td>指标</td><td>数值</td></tr></table>"
        "<footer>版权所有</footer></body></html>"
    )
    f = tmp_path / "page.html"
    f.write_bytes(html.encode("gb18030"))
    got = read_document(f)
    assert isinstance(got, LoadedText), got
    lines = [line for line in got.text.split("\n") if line]
    assert "一、工作开展情况" in lines
    assert "全年新建改造农村公路12.6公里，同比增长3.2%。" in lines
    assert "广告" not in got.text and "首页" not in got.text and "版权所有" not in got.text
    assert ("一、工作开展情况", 2) in got.headings


def test_markdown_headings_become_lines() -> None:
    text, headings = markdown_to_text("# 2024年工作总结\n\n## 一、工作开展情况\n\n- **一是**完成[公路](http://x)建设。\n")
    assert text.split("\n") == ["2024年工作总结", "", "一、工作开展情况", "", "一是完成公路建设。"]
    assert headings == [("2024年工作总结", 1), ("一、工作开展情况", 2)]


def test_iter_files_sorted_recursive_hidden_ignored(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for rel in ["b/2.txt", "a.txt", "b/1.docx", ".hidden.txt", ".git/x.txt", "~$lock.docx"]:
        (tmp_path / rel).write_text("x", encoding="utf-8")
    got = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)]
    assert got == ["a.txt", "b/1.docx", "b/2.txt"]
    # a file given explicitly is kept, duplicates once
    assert iter_files([tmp_path / "a.txt", tmp_path])[0] == tmp_path / "a.txt"
    assert len(iter_files([tmp_path / "a.txt", tmp_path])) == 3


def test_iter_files_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        iter_files([tmp_path / "nope"])
    with pytest.raises(InputError):
        read_document(tmp_path / "nope.txt")
