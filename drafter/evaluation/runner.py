"""Run a suite: the matrix of cases × variants × repeats, one JSONL record per output.

The columns are :mod:`drafter.evaluation.variants`; one output and its record
:mod:`drafter.evaluation.outputs`; the model clients :mod:`drafter.evaluation.clients`.

A *variant* is a (prompt variant, number strategy, model) combination. A run
folder holds::

    run.json        what was asked: suite path + sha256, variants, plan, git
                    revision, settings (no secrets), prompt and checker hashes,
                    the reply cache's counters of the last invocation
    records.jsonl   one record per output, appended as each finishes
    summary.json    aggregates per variant, per tag and per case
    report.html     the same summary plus every draft, one self-contained file

Every model call goes through :class:`drafter.llm.client.CachedClient`, keyed on the
server, model, messages and parameters (seed = repeat index). Re-running an
unchanged suite makes no model call; the embedded server is started only at
the first call the cache cannot answer. Ctrl-C keeps every finished record;
running again with the same ``out`` folder (or ``resume=``) skips them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafter.api import BUNDLED_CORPUS, Drafter
from drafter.config import REPO_ROOT, Settings, load_settings
from drafter.errors import InputError
from drafter.evaluation.clients import Meter, open_backend
from drafter.evaluation.outputs import draft_output, output_key
from drafter.evaluation.runfiles import checker_fingerprint, git_revision, load_records, now, public_settings, read_json, write_json
from drafter.evaluation.suite import Case, Suite
from drafter.evaluation.variants import Variant, prompt_plan, resolve_variants
from drafter.llm.client import CachedClient, LLMClient

__all__ = ["FORMAT", "RUNS_DIR", "RunInterrupted", "RunResult", "default_run_dir", "run_suite"]

FORMAT = 1
"""Version of the run folder layout."""
RUNS_DIR = REPO_ROOT / "evals" / "runs"
"""Default parent of run folders."""


@dataclass
class RunResult:
    """What :func:`run_suite` did.

    Attributes:
        path: the run folder. summary: as written to summary.json.
        done: outputs generated now; skipped: outputs kept from before (resume).
        cache: the reply cache's counters for this invocation (calls, hits, misses).
    """

    path: Path
    summary: dict[str, Any]
    done: int = 0
    skipped: int = 0
    cache: dict[str, int] = field(default_factory=dict)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; finished records and a partial summary are kept in ``path``."""

    def __init__(self, path: Path, kept: int) -> None:
        super().__init__(f"interrupted; {kept} output(s) kept in {path}")
        self.path, self.kept = path, kept


# ---------------------------------------------------------------- the run


def default_run_dir(suite: Suite) -> Path:
    """``evals/runs/<UTC timestamp>-<suite name>/``."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return RUNS_DIR / f"{stamp}-{suite.name}"


def run_suite(
    suite: Suite,
    variants: Sequence[Variant] | None = None,
    *,
    settings: Settings | None = None,
    cases: Sequence[Case] | None = None,
    repeat: int = 1,
    concurrency: int = 1,
    out: str | Path | None = None,
    llm: LLMClient | None = None,
    embedder: Any = None,
    progress: Callable[[str, dict[str, Any]], None] | None = None,
) -> RunResult:
    """Run ``cases`` × ``variants`` × ``repeat`` and write the run folder.

    Args:
        suite: the loaded suite. variants: see :func:`resolve_variants` (default: one, from settings).
        settings: resolved settings (default :func:`~drafter.config.load_settings`).
        cases: subset of the suite's cases (default all).
        repeat: outputs per case and variant (repeat ``r`` samples with seed ``r``).
        concurrency: outputs drafted at once (the embedded server serves one request at a time).
        out: run folder; an existing one is resumed (its finished outputs are kept).
        llm: a client to use instead of the configured server (tests); the model
            name of each variant then only labels it and keys the cache.
        embedder: embedder instead of ``settings.embedder`` (tests: ``get_embedder("hash")``).
        progress: ``progress(event, payload)``: ``("start", {"total", "path"})``,
            ``("skip", {"count"})`` for outputs kept from before, ``("output", record)``
            after each output.

    Returns:
        A :class:`RunResult`.

    Raises:
        InputError, PromptError, ConfigError: bad options, missing prompt, before any call.
        ModelError: the model cannot be started. RunInterrupted: Ctrl-C (records kept).
    """
    from drafter.drafting.prompts import PromptLibrary
    from drafter.evaluation.reports import write_reports

    settings = settings or load_settings()
    if repeat < 1 or concurrency < 1:
        raise InputError("--repeat and --concurrency must be at least 1.")
    cases = list(cases if cases is not None else suite.cases)
    variants = list(variants or resolve_variants(settings, llm=llm))
    effective, prompts_used, warnings = prompt_plan(settings, cases, variants)
    library = PromptLibrary(settings.prompts_dir)
    path = Path(out) if out else default_run_dir(suite)
    path.mkdir(parents=True, exist_ok=True)
    previous = read_json(path / "run.json") if (path / "run.json").exists() else {}
    plan = [{"key": output_key(c.id, v, r), "case": c.id, "variant": v.id, "repeat": r, "case_sha": c.sha256}
            for v in variants for r in range(repeat) for c in cases]
    meta: dict[str, Any] = {
        "format": FORMAT, "id": path.name, "started": previous.get("started") or now(), "invoked": now(),
        "finished": None, "complete": False,
        "suite": {"name": suite.name, "path": str(suite.path.resolve()), "sha256": suite.sha256, "cases": len(suite.cases),
                  "selected": [c.id for c in cases]},
        "variants": [v.to_dict() for v in variants], "repeat": repeat, "concurrency": concurrency,
        "plan": plan, "git": git_revision(), "drafter_version": _version(), "settings": public_settings(settings),
        "prompts": prompts_used, "prompt_library": {n: p.sha256 for n, p in library.prompts.items()},
        "checker": checker_fingerprint(), "warnings": warnings, "cache": {"calls": 0, "hits": 0, "misses": 0},
        "servers": {},
    }
    write_json(path / "run.json", meta)
    done_before = {r["key"]: r for r in load_records(path) if r.get("status") == "ok"}  # resume
    d = Drafter(settings.model_copy(update={"prompt_variant": None}), embedder=embedder)  # each variant names its prompts
    for corpus in dict.fromkeys(tuple(c.corpus) for c in cases if c.corpus):
        d.ingest(list(corpus))  # once, before any thread starts: Drafter.write then finds each corpus ingested
    if any(not c.corpus for c in cases) and d.store.count() == 0:
        d.ingest([BUNDLED_CORPUS])  # what Drafter.write would do
    result = RunResult(path, {})
    emit = progress or (lambda event, payload: None)
    emit("start", {"total": len(plan), "path": str(path)})
    records_fh = (path / "records.jsonl").open("a", encoding="utf-8")
    try:
        for model in dict.fromkeys(v.model for v in variants):
            backend = open_backend(settings, model, llm)
            cached = CachedClient(backend, settings.cache_dir())
            meter = Meter(cached, backend)
            meta["servers"][model] = backend.identity
            try:
                for r in range(repeat):
                    backend.seed = r
                    todo = [(c, v) for v in variants if v.model == model for c in cases
                            if not _done(done_before.get(output_key(c.id, v, r)), c, backend.identity)]
                    skipped = sum(1 for v in variants if v.model == model) * len(cases) - len(todo)
                    result.skipped += skipped
                    if skipped:
                        emit("skip", {"count": skipped})

                    def one(item: tuple[Case, Variant], r: int = r, meter: Meter = meter) -> dict[str, Any]:
                        c, v = item
                        return draft_output(d, meter, library, settings, c, v, r, effective[(c.id, v.id)])

                    for rec in _map(one, todo, concurrency):
                        records_fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        records_fh.flush()
                        result.done += 1
                        emit("output", rec)
            finally:
                for k in ("calls", "hits", "misses"):
                    meta["cache"][k] += getattr(cached, k)
                backend.close()
        meta["complete"] = True
    except BaseException as exc:
        records_fh.close()
        meta["finished"] = now()
        write_json(path / "run.json", meta)
        summary: dict[str, Any] = {}
        with contextlib.suppress(Exception):
            summary = write_reports(path)
        if isinstance(exc, KeyboardInterrupt):
            raise RunInterrupted(path, summary.get("run", {}).get("outputs", result.done)) from None
        raise
    records_fh.close()
    meta["finished"] = now()
    write_json(path / "run.json", meta)
    result.summary = write_reports(path)
    result.cache = dict(meta["cache"])
    return result


def _done(old: dict[str, Any] | None, case: Case, identity: str) -> bool:
    """A finished record for the same case content from the same server (resume skips it)."""
    return bool(old) and old.get("case_sha") == case.sha256 and old.get("server") == identity


def _map(fn: Callable[[Any], dict[str, Any]], items: list[Any], concurrency: int) -> Iterator[dict[str, Any]]:
    """Yield ``fn(item)`` as each finishes; a thread pool when ``concurrency`` > 1."""
    if concurrency <= 1 or len(items) <= 1:
        for item in items:
            yield fn(item)
        return
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval")
    try:
        pending = {pool.submit(fn, item) for item in items}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield fut.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _version() -> str:
    from drafter import __version__

    return __version__
