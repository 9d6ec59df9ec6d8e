"""`drafter serve` driven in a real browser: Playwright with Debian's chromium (installed by .ci/run).

The app runs with uvicorn on a free loopback port, a scripted model (FakeLLM) and the hash embedder.
The model is scripted for the ``free`` strategy, where its text is the draft: one figure is written
wrong (4.6公里 for 4.5公里), so the draft has a finding to highlight. Assertions are about the page.

Set UPDATE_SCREENSHOT=1 to refresh the README's screenshot (docs/serve-page.png).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from drafter.config import load_settings
from drafter.index.embeddings import HashEmbedder
from drafter.errors import InputError
from drafter.figures import load_figures
from drafter.testing import FakeLLM
from conftest import BUNDLED_CORPUS, REPO

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXAMPLE = BUNDLED_CORPUS / "figures-example.yaml"
# Every work figure of figures-example.yaml (the section drafted below), the road written wrong.
REPLY = ("一年来，工作队新建改造农村公路4.6公里，安装太阳能路灯60盏，开展技能培训460人次，带动脱贫户就业95户，"
         "新建改造垃圾收集点11处，自来水入户率达到98%，村集体经济收入达到18.9万元，脱贫户人均纯收入达到15630元。\n\n"
         "同时成立村红白理事会，柳塘村村史馆建成开放，村股份经济合作社开展冷链仓储服务，完成早熟黄桃品种试种。")

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("/usr/bin/chromium is missing: .ci/run installs it (apt-get install chromium).")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def served(tmp_path):
    """The page on a free port: (base url, the scripted model, the home folder)."""
    from drafter.web.app import create_app
    from drafter.web.live import running

    home = tmp_path / "home"
    llm = FakeLLM(default=REPLY)
    app = create_app(load_settings(strategy="free", store=home / "store"), llm=llm, embedder=HashEmbedder(), home=home)
    with running(app) as url:
        yield url, llm, home


@pytest.fixture
def page(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        pg.requested = []  # every URL the page asked for
        pg.errors = []
        pg.on("request", lambda r: pg.requested.append(r.url))
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        yield pg
        browser.close()


def upload_corpus_and_figures(pg, url: str) -> None:
    pg.goto(url)
    pg.set_input_files("#corpus-files", sorted(str(p) for p in BUNDLED_CORPUS.glob("*.txt")))
    pg.click("#corpus-submit")
    pg.wait_for_selector("#corpus-result table")
    assert pg.locator("#corpus-result tbody tr").count() == 12
    assert "导入完成" in pg.inner_text("#corpus-progress")
    pg.wait_for_function("document.querySelectorAll('#reports tbody button').length === 12")
    pg.click("#reports tbody tr:first-child button")  # how a report was split into sections
    pg.wait_for_selector("#report-detail details.report-section")
    assert pg.locator("#report-detail details").count() >= 5
    pg.click("a[data-tab=figures]")
    pg.set_input_files("#figures-file", str(EXAMPLE))
    pg.wait_for_function("document.querySelectorAll('#figures-table tbody tr').length === 14")
    assert pg.locator("#figures-table tr.bad").count() == 0
    assert pg.input_value("#f-organisation") == "枫林县白沙镇柳塘村驻村工作队"


def select_text(pg, selector: str, needle: str) -> None:
    """Select ``needle`` inside the editable element ``selector`` as a user would with the mouse."""
    pg.evaluate("""([sel, needle]) => {
        const body = document.querySelector(sel);
        const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
        let n;
        while ((n = walker.nextNode())) {
            const i = n.nodeValue.indexOf(needle);
            if (i >= 0) { body.focus(); const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + needle.length);
                          const s = getSelection(); s.removeAllRanges(); s.addRange(r); return; }
        }
        throw new Error('not found: ' + needle);
    }""", [selector, needle])


def test_page_upload_draft_highlight_edit_change_figure_download(served, page, tmp_path):
    from docx import Document

    url, llm, home = served
    pg = page
    upload_corpus_and_figures(pg, url)

    # draft one section with the scripted model
    pg.click("a[data-tab=draft]")
    pg.check("input[name=scope][value=sections]")  # 工作开展情况 is ticked by default
    pg.click("#draft-submit")
    pg.wait_for_selector("#draft-summary:has-text('完成')")
    mark = pg.locator("#sections mark.f-altered")
    assert mark.inner_text() == "4.6公里"
    assert "4.5公里" in mark.get_attribute("title")  # the checker's explanation, on hover
    assert "一、工作开展情况" in pg.inner_text("#sections h3")
    road = pg.locator("#figure-status tr", has_text="新建改造农村公路")
    assert "数字有误" in road.inner_text()
    assert pg.locator("#figure-status .badge.st-placed").count() == 7
    assert "数字有误" in pg.inner_text("#findings")
    pg.click("#sections details.sources summary")  # the past passages the section drew on
    assert pg.locator("#sections .source").count() >= 1
    mark.click()
    assert pg.is_visible("#popover") and "4.5公里" in pg.inner_text("#popover")  # and on click
    shot = tmp_path / "serve-page.png"
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 30_000
    if os.environ.get("UPDATE_SCREENSHOT"):
        shutil.copy(shot, REPO / "docs" / "serve-page.png")

    # edit the text so that it is clean: the mark disappears
    select_text(pg, "#sections .body", "4.6公里")
    pg.keyboard.type("4.5公里")
    pg.wait_for_selector("#sections mark.f-altered", state="detached")
    pg.wait_for_selector("#draft-summary:has-text('未发现问题')")
    assert pg.locator("#sections mark").count() == 0
    assert pg.locator("#figure-status .badge.st-placed").count() == 8
    assert "已修改" in pg.inner_text("#sections .sec-meta")

    # change a figure's value: re-rendered in place, no model call
    calls = len(llm.requests)
    pg.fill("#figure-status input[data-figure='新建改造农村公路']", "4.8")
    pg.press("#figure-status input[data-figure='新建改造农村公路']", "Enter")
    pg.wait_for_function("document.querySelector('#sections .body').textContent.includes('农村公路4.8公里')")
    assert "已在一、工作开展情况中改写" in pg.inner_text("#figure-note")
    assert pg.locator("#sections mark").count() == 0
    assert len(llm.requests) == calls

    # download the .docx and open it
    with pg.expect_download() as dl:
        pg.click("#dl-docx")
    path = tmp_path / "draft.docx"
    dl.value.save_as(str(path))
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "农村公路4.8公里" in text and "4.6公里" not in text and "〔待核" not in text
    assert {"Drafter Heading 1", "Drafter Body"} <= {p.style.name for p in doc.paragraphs}

    # the draft is kept with its inputs and reopens after a reload
    did = pg.evaluate("location.hash").split("/")[1]
    folder = home / "drafts" / did
    assert {"inputs.json", "draft.json", "figures.yaml"} <= {p.name for p in folder.iterdir()}
    pg.goto(url + "#drafts")
    pg.wait_for_selector("#draft-list tbody a")
    pg.click("#draft-list tbody a")
    pg.wait_for_function("document.querySelector('#sections .body') && document.querySelector('#sections .body').textContent.includes('4.8公里')")
    assert pg.locator("#sections mark").count() == 0

    # nothing came from anywhere but the server; no script errors
    assert all(u.startswith(url) or u.startswith("data:") for u in pg.requested), [u for u in pg.requested if not u.startswith(url)]
    assert pg.errors == []


def test_bad_figures_file_shows_row_errors_in_the_page(served, page, tmp_path):
    url = served[0]
    bad = tmp_path / "本期数据.csv"
    bad.write_text("name,value,unit,section\n新建改造农村公路,4.5,公里,work\n安装太阳能路灯,六十,盏,work\n"
                   "开展技能培训,460,人次,work\n开展技能培训,480,人次,work\n村集体经济收入,18.9万,元,work\n", encoding="utf-8")
    page.goto(url + "#figures")
    page.set_input_files("#figures-file", str(bad))
    page.wait_for_selector("#figures-table tr.bad")
    rows = page.locator("#figures-table tbody tr")
    assert rows.count() == 5
    assert [i for i in range(5) if "bad" in (rows.nth(i).get_attribute("class") or "")] == [1, 3, 4]
    # the same words as the CLI (load_figures), naming the file and line
    with pytest.raises(InputError) as first:
        load_figures(bad)
    assert rows.nth(1).locator("td.err").inner_text() == str(first.value).replace(str(bad), bad.name)
    assert "line 5" in rows.nth(3).locator("td.err").inner_text() and "duplicate" in rows.nth(3).locator("td.err").inner_text()
    assert "multiplier" in rows.nth(4).locator("td.err").inner_text()
    assert "3 行" in page.inner_text("#figures-errors")
    # correcting a row in the table clears its error; drafting with errors left is refused with them shown
    page.fill("#figures-table tbody tr:nth-child(2) input[data-key=value]", "60")
    page.wait_for_function("!document.querySelector('#figures-table tbody tr:nth-child(2)').classList.contains('bad')")
    page.click("a[data-tab=draft]")
    page.click("#draft-submit")
    page.wait_for_selector("#draft-errors div")
    assert "rows marked in red" in page.inner_text("#draft-errors")
    page.click("a[data-tab=figures]")
    assert page.locator("#figures-table tr.bad").count() == 2
    assert page.errors == []


def test_a_finding_of_a_new_kind_is_highlighted_too(served, page, monkeypatch):
    """The genre check's findings (kinds the page has no colour for) are marked and explained like the rest."""
    import drafter.web.drafts as drafts
    from drafter.guard.findings import CheckResult, Finding

    real = drafts.recheck

    def with_genre(text, figset, kind, context=()):
        result = real(text, figset, kind, context)
        i = text.find("一年来")
        extra = Finding("tense", text[i:i + 3], i, i + 3, None, "a tense finding, for the test")
        return CheckResult(findings=sorted([*result.findings, extra], key=lambda f: f.start), figures=result.figures)

    monkeypatch.setattr(drafts, "recheck", with_genre)
    url = served[0]
    page.goto(url + "#figures")
    page.set_input_files("#figures-file", str(EXAMPLE))
    page.wait_for_function("document.querySelectorAll('#figures-table tbody tr').length === 14")
    page.click("a[data-tab=draft]")
    page.check("input[name=scope][value=sections]")
    page.click("#draft-submit")
    page.wait_for_selector("#draft-summary:has-text('完成')")
    mark = page.locator("#sections mark.f-tense")
    assert mark.inner_text() == "一年来" and "a tense finding" in mark.get_attribute("title")
    assert page.locator("#sections mark.f-altered").count() == 1
    assert "tense" in page.inner_text("#findings")


def test_two_drafts_at_once_the_second_shows_its_place_in_the_queue(tmp_path):
    """Two office workers press 开始起草 together: the second page says one job is ahead, then gets its draft."""
    import threading

    from playwright.sync_api import sync_playwright

    from drafter.web.app import create_app
    from drafter.web.live import running

    release = threading.Event()

    def slow(messages):
        release.wait(30)
        return REPLY

    home = tmp_path / "home"
    app = create_app(load_settings(strategy="free", store=home / "store"), llm=FakeLLM(default=slow), embedder=HashEmbedder(), home=home)
    with running(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pages = [browser.new_context(viewport={"width": 1300, "height": 900}).new_page() for _ in range(2)]
        for pg in pages:
            pg.set_default_timeout(20_000)
            pg.goto(url + "#figures")
            pg.set_input_files("#figures-file", str(EXAMPLE))
            pg.wait_for_function("document.querySelectorAll('#figures-table tbody tr').length === 14")
            pg.click("a[data-tab=draft]")
            pg.check("input[name=scope][value=sections]")
        pages[0].click("#draft-submit")
        pages[0].wait_for_selector("#draft-progress .log div")  # the first is being written
        pages[1].click("#draft-submit")
        pages[1].wait_for_selector("#draft-progress .queue:has-text('前面还有 1 项任务')")
        release.set()
        for pg in pages:
            pg.wait_for_selector("#draft-summary:has-text('完成')")
            assert pg.locator("#sections mark.f-altered").count() == 1
        browser.close()
