"""The page of ``drafter serve``: a Starlette app over the library API.

:func:`create_app` builds it. The page (``templates/index.html``,
``static/app.js``, ``static/app.css``; nothing loaded from the internet)
talks to the JSON routes below; each calls the same library functions as the
CLI (:class:`drafter.api.Drafter`, :func:`drafter.figures.read_figure_rows`,
:func:`drafter.web.recheck.recheck`, :func:`drafter.output.word.docx_bytes`); editing a kept
draft is :mod:`drafter.web.editing`.

Routes (all under the rules of :mod:`drafter.web.security`):

=======================================  ==================================================
``GET  /``                               the page
``GET  /api/status``                     model state, queue, store size
``POST /api/corpus``                     upload past reports (files or a folder) → an ingest job
``GET  /api/corpus/reports[/ID]``        reports in the store; one report's sections
``POST /api/figures/upload``             a figures file → the table, with every row's error
``POST /api/figures/check``              the table as edited → every row's error
``POST /api/drafts``  ``GET /api/drafts`` queue a draft; list the kept drafts
``GET  /api/drafts/ID``                  a draft with every finding and figure status
``PUT  /api/drafts/ID/sections/N``       the section as edited → saved and re-checked
``POST /api/drafts/ID/figure``           change a figure's value → re-rendered, no model call
``GET  /api/drafts/ID/draft.docx|.md``   downloads (GB/T 9704-2012 layout for .docx)
``GET  /api/jobs/ID/events``             progress as server-sent events
=======================================  ==================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from drafter import __version__
from drafter.config import Settings, drafter_home, load_settings
from drafter.errors import DrafterError, InputError
from drafter.figures import read_figure_rows
from drafter.corpus.kinds import label, parse_kind
from drafter.llm.client import LLMClient
from drafter.web import drafts as dr
from drafter.web.jobs import JobQueue
from drafter.web.editing import change_figure, save_section
from drafter.web.security import CSRF_COOKIE, MAX_JSON, Guard, TooLarge, check_upload, new_csrf_token, safe_path
from drafter.web.state import Web, draft_view, figset_of, now, rel, run_draft

HERE = Path(__file__).resolve().parent
_UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
PAGE_KINDS = ("opening", "work", "problems", "next_steps", "closing")


def _error(exc: Exception, status: int = 400, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": str(exc), **extra}, status_code=status)


async def _json(request: Request) -> Any:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON:
            raise TooLarge(f"The request is over the limit of {MAX_JSON / 1e6:.0f} MB.")
    try:
        return json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise InputError(f"The request is not valid JSON ({exc.msg}).") from exc


def _save_upload(upload, dest: Path, kind: str) -> int:
    """Copy an uploaded file to ``dest`` after checking its type and size; returns its size (run in a thread)."""
    f = upload.file
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    head = f.read(8)
    f.seek(0)
    check_upload(upload.filename or dest.name, head, size, kind)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload.", dir=dest.parent)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(f, out)
    os.replace(tmp, dest)
    return size


def create_app(settings: Settings | None = None, *, llm: LLMClient | None = None, embedder: Any = None,
               token: str | None = None, home: Path | None = None) -> Guard:
    """Build the page's app.

    Args:
        settings: resolved settings (default :func:`drafter.config.load_settings`).
        llm: an LLM client to use for the server's lifetime instead of the
            configured one (tests pass a :class:`drafter.testing.FakeLLM`).
            Without it the configured client is opened once at start-up
            (the embedded model is started then, in the background) and
            closed at shutdown.
        embedder: an embedder instead of ``settings.embedder`` (tests: ``HashEmbedder``).
        token: access token every request must carry (required off loopback;
            see :func:`drafter.web.security.check_bind`).
        home: state folder (default ``$DRAFTER_HOME``): drafts in ``drafts/``,
            uploaded past reports in ``corpus/``, uploaded figures in ``uploads/``.

    Returns:
        The ASGI app (run it with uvicorn): the Starlette app wrapped in
        :class:`~drafter.web.security.Guard`; ``.app.state.web`` is its :class:`~drafter.web.state.Web`.

    Raises:
        ConfigError: invalid settings (when ``settings`` is not given).
    """
    web = Web(settings or load_settings(), llm, embedder, Path(home or drafter_home()), token)
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        web.queue = JobQueue()
        web.model.start()
        try:
            yield
        finally:
            web.queue.close()
            await run_in_threadpool(web.model.close)

    # -- page and status ----------------------------------------------------------
    async def index(request: Request):
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        kinds = [{"kind": k, "label": label(k)} for k in PAGE_KINDS]
        resp = templates.TemplateResponse(request, "index.html", {
            "csrf": csrf, "version": __version__, "kinds": kinds, "strategy": web.settings.strategy,
            "home": str(web.home)})
        resp.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    async def status(request: Request):
        q = web.queue
        return JSONResponse({
            "model": web.model.state, "model_error": web.model.error, "model_name": web.model.model,
            "queue": q.size if q else 0,
            "running": (q.current.kind if q and q.current else None), "strategy": web.settings.strategy,
        })

    # -- past reports --------------------------------------------------------------
    async def corpus_upload(request: Request):
        form = await request.form(max_files=2000, max_fields=50)
        files = [f for f in form.getlist("files") if hasattr(f, "file")]
        if not files:
            raise InputError("No files were sent; choose files or a folder of past reports.")
        saved, refused = [], []
        for f in files:
            try:
                dest = safe_path(web.corpus_dir, f.filename or "")
                await run_in_threadpool(_save_upload, f, dest, "corpus")
                saved.append(dest)
            except InputError as exc:
                refused.append({"name": f.filename, "reason": str(exc)})
        if not saved:
            return _error(InputError("None of the files can be ingested."), refused=refused)

        def run(emit):
            def progress(src: str, done: int, total: int) -> None:
                emit("file", {"name": rel(src, web.corpus_dir), "done": done, "total": total})

            rep = web.drafter.ingest(saved, progress=progress)
            return {"files": [{"name": rel(f.source, web.corpus_dir), "encoding": f.encoding, "reports": f.reports,
                               "sections": f.sections, "chunks": f.chunks, "added": f.added, "removed": f.removed,
                               "skipped": f.skipped} for f in rep.files],
                    "refused": refused, "total_chunks": rep.total_chunks, "seconds": round(rep.seconds, 1)}

        job = web.queue.submit("ingest", run)
        return JSONResponse({"job": job.id, "ahead": web.queue.ahead(job), "refused": refused})

    async def corpus_reports(request: Request):
        chunks = await run_in_threadpool(web.drafter.store.all_chunks)
        reports: dict[str, list] = {}
        for c in chunks:
            reports.setdefault(c.report_id, []).append(c)
        rid = request.path_params.get("rid")
        if rid is not None:
            cs = sorted(reports.get(rid, []), key=lambda c: c.chunk_index)
            if not cs:
                raise InputError(f"No report '{rid}' in the store.")
            sections: list[dict[str, Any]] = []
            for c in cs:
                if not sections or sections[-1]["path"] != c.section_path:
                    sections.append({"path": c.section_path, "kind": c.section_kind, "label": label(c.section_kind), "chunks": []})
                sections[-1]["chunks"].append(c.text)
            return JSONResponse({"id": rid, "title": cs[0].report_title, "year": cs[0].year,
                                 "source": rel(cs[0].source, web.corpus_dir), "sections": sections})
        out = []
        for rid, cs in reports.items():
            c = cs[0]
            out.append({"id": rid, "title": c.report_title, "year": c.year, "source": rel(c.source, web.corpus_dir),
                        "sections": len({tuple(x.section_path) for x in cs}), "chunks": len(cs)})
        out.sort(key=lambda r: (r["year"] or 0, r["title"]), reverse=True)
        return JSONResponse({"reports": out})

    # -- figures -------------------------------------------------------------------
    async def figures_upload(request: Request):
        form = await request.form(max_files=1, max_fields=10)
        f = form.get("file")
        if not hasattr(f, "file"):
            raise InputError("No figures file was sent.")
        uid = secrets.token_hex(8)
        name = safe_path(web.uploads, f.filename or "figures").name
        dest = web.uploads / uid / name
        await run_in_threadpool(_save_upload, f, dest, "figures")
        header, rows = await run_in_threadpool(read_figure_rows, dest, f.filename or name)
        doc = dr.document_from_file(header, rows)
        _, _, errors = dr.validate_document(doc, f.filename or name)
        return JSONResponse({"upload": uid, "name": name, "document": doc, "row_errors": [r.error for r in rows],
                             "errors": errors if not any(r.error for r in rows) else []})

    async def figures_check(request: Request):
        doc = await _json(request)
        figset, row_errors, errors = dr.validate_document(doc)
        return JSONResponse({"ok": figset is not None, "row_errors": row_errors, "errors": errors})

    # -- drafts --------------------------------------------------------------------
    async def draft_create(request: Request):
        data = await _json(request)
        figset, row_errors, errors = dr.validate_document(data.get("figures"))
        if figset is None:
            return JSONResponse({"error": "The figures table has errors; correct the rows marked in red.",
                                 "row_errors": row_errors, "errors": errors}, status_code=400)
        sections = [parse_kind(s, "sections") for s in data.get("sections") or []]
        outline_text = str(data.get("outline") or "").strip()
        script = data.get("script") or web.settings.script
        if script not in ("simplified", "traditional"):
            raise InputError("script must be simplified or traditional.")
        upload = str(data.get("upload") or "")
        did = web.drafts.new_id()
        folder = web.drafts.folder(did)
        outline = None
        if outline_text:
            from drafter.drafting.report import load_outline

            (folder / "outline.yaml").write_text(outline_text + "\n", encoding="utf-8")
            try:
                outline = load_outline(folder / "outline.yaml")
            except InputError as exc:
                shutil.rmtree(folder)
                raise InputError(str(exc).replace(str(folder / "outline.yaml"), "outline")) from exc
        if _UPLOAD_ID.match(upload) and (web.uploads / upload).is_dir():
            for src in (web.uploads / upload).iterdir():
                shutil.copy2(src, folder / ("figures" + src.suffix.lower()))
        inputs = {"figures": data["figures"], "sections": sections, "outline": outline_text or None, "script": script,
                  "strategy": web.settings.strategy, "created": now()}
        web.drafts.write(did, "inputs.json", inputs)
        rec = {"id": did, "created": inputs["created"], "status": "queued", "title": "", "script": script,
               "with_title": True, "figures": data["figures"], "sections": [], "missing": [], "error": "", "findings": 0}
        web.drafts.write(did, "draft.json", rec)
        job = web.queue.submit("draft", lambda emit: run_draft(web, did, figset, sections, outline, script, emit), job_id=did)
        return JSONResponse({"id": did, "job": job.id, "ahead": web.queue.ahead(job)})

    async def draft_list(request: Request):
        return JSONResponse({"drafts": web.drafts.list()})

    async def draft_get(request: Request):
        did = request.path_params["did"]
        rec = web.drafts.read(did)
        return JSONResponse(await run_in_threadpool(draft_view, web, rec))

    async def section_put(request: Request):
        did, index = request.path_params["did"], request.path_params["index"]
        data = await _json(request)
        body = data.get("body")
        if not isinstance(body, str):
            raise InputError("Send the section's text as 'body'.")
        return JSONResponse(await run_in_threadpool(save_section, web, did, index, body))

    async def figure_change(request: Request):
        did = request.path_params["did"]
        data = await _json(request)
        name, value = str(data.get("name") or ""), str(data.get("value") or "")
        unit = data.get("unit")
        return JSONResponse(await run_in_threadpool(change_figure, web, did, name, value, None if unit is None else str(unit)))

    async def download(request: Request):
        did, fmt = request.path_params["did"], request.path_params["fmt"]
        rec = web.drafts.read(did)
        if not rec["sections"]:
            raise InputError("The draft has no finished section yet.")
        draft = dr.as_draft(rec, figset_of(rec))
        name = f"draft-{did}.{fmt}"
        if fmt == "docx":
            from drafter.output.word import docx_bytes

            data = await run_in_threadpool(docx_bytes, draft)
            media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        else:
            data, media = draft.markdown().encode("utf-8"), "text/markdown; charset=utf-8"
        return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # -- progress --------------------------------------------------------------------
    async def job_events(request: Request):
        job = web.queue.get(request.path_params["jid"])
        if job is None:
            return _error(InputError("No such job (the server was restarted?); reload the draft."), 404)
        last = request.headers.get("last-event-id", "")
        start = int(last) + 1 if last.isdigit() else 0

        async def stream():
            i, ahead = start, None
            while True:
                while i < len(job.events):
                    name, data = job.events[i]
                    yield f"id: {i}\nevent: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
                    i += 1
                if job.state in ("done", "failed") or web.queue.closed:
                    return
                now = web.queue.ahead(job)
                if job.state == "queued" and now != ahead:
                    ahead = now
                    yield f"event: queued\ndata: {json.dumps({'ahead': now})}\n\n"
                await asyncio.sleep(0.15)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def on_drafter_error(request: Request, exc: Exception):
        return _error(exc, 413 if isinstance(exc, TooLarge) else 400)

    routes = [
        Route("/", index),
        Route("/api/status", status),
        Route("/api/corpus", corpus_upload, methods=["POST"]),
        Route("/api/corpus/reports", corpus_reports),
        Route("/api/corpus/reports/{rid}", corpus_reports),
        Route("/api/figures/upload", figures_upload, methods=["POST"]),
        Route("/api/figures/check", figures_check, methods=["POST"]),
        Route("/api/drafts", draft_create, methods=["POST"]),
        Route("/api/drafts", draft_list, methods=["GET"]),
        Route("/api/drafts/{did}", draft_get),
        Route("/api/drafts/{did}/sections/{index:int}", section_put, methods=["PUT"]),
        Route("/api/drafts/{did}/figure", figure_change, methods=["POST"]),
        Route("/api/drafts/{did}/draft.{fmt:str}", download),
        Route("/api/jobs/{jid}/events", job_events),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={DrafterError: on_drafter_error})
    app.state.web = web
    return Guard(app, token=token)
