"""Run a suite: the matrix of cases × variants × repeats, one JSONL record per output.

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
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafter.api import BUNDLED_CORPUS
from drafter.config import REPO_ROOT, Settings, load_settings
from drafter.drafting.engine import STRATEGIES
from drafter.errors import ConfigError, DrafterError, InputError, PromptError
from drafter.llm.client import CachedClient, LLMClient
from drafter.evaluation.clients import Backend, EvalDrafter, Meter
from drafter.evaluation.metrics import output_metrics
from drafter.evaluation.runfiles import (
    checker_fingerprint,
    git_revision,
    load_records,
    now,
    public_settings,
    read_json,
    write_json,
)
from drafter.evaluation.suite import Case, Suite, figset_to_dict, figure_to_dict

__all__ = ["FORMAT", "RUNS_DIR", "RunInterrupted", "RunResult", "Variant", "default_run_dir", "load_records",
           "output_key", "read_json", "resolve_variants", "run_suite", "write_json"]

FORMAT = 1
"""Version of the run folder layout."""
RUNS_DIR = REPO_ROOT / "evals" / "runs"
"""Default parent of run folders."""


@dataclass(frozen=True)
class Variant:
    """One column of the matrix.

    Attributes:
        prompt_variant: prompt suffix (``work-{name}``) or None for the default prompts.
        strategy: number strategy (:data:`drafter.drafting.engine.STRATEGIES`).
        model: model name (the embedded model's name, or the name on ``base_url``).
    """

    prompt_variant: str | None
    strategy: str
    model: str

    @property
    def id(self) -> str:
        """``prompt/strategy/model``, e.g. ``default/compose/qwen2.5-coder-1.5b``."""
        return f"{self.prompt_variant or 'default'}/{self.strategy}/{self.model}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: id, prompt_variant, strategy, model."""
        return {"id": self.id, "prompt_variant": self.prompt_variant, "strategy": self.strategy, "model": self.model}


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


def output_key(case_id: str, variant: Variant, repeat: int) -> str:
    """Key of one output in records and plans."""
    return f"{case_id}::{variant.id}::r{repeat}"


def _client_identity(settings: Settings, model: str) -> tuple[str, str]:
    """(identity, model) the reply cache is keyed on, known before any server starts."""
    if settings.base_url:
        return settings.base_url.rstrip("/"), model
    from drafter.llm.localmodel import get_spec

    spec = get_spec(model)
    return f"local:{spec.name}:{spec.sha256[:16]}", spec.name


def _settings_for(settings: Settings, model: str) -> Settings:
    return settings.model_copy(update={"model": model} if settings.base_url else {"local_model": model})


def resolve_variants(settings: Settings, prompt_variants: Sequence[str | None] = (), strategies: Sequence[str] = (),
                     models: Sequence[str] = (), llm: LLMClient | None = None) -> list[Variant]:
    """The variants of a run: every combination of the given prompt variants, strategies and models.

    Empty lists mean the settings' default (default prompts, ``settings.strategy``,
    ``settings.model`` or ``settings.local_model``; an injected client's model).

    Raises:
        InputError: an unknown strategy. ConfigError: an unknown embedded model.
    """
    pvs = [None if (p in (None, "", "default")) else p for p in (prompt_variants or [None])]
    strats = list(strategies or [settings.strategy])
    for s in strats:
        if s not in STRATEGIES:
            raise InputError(f"Unknown number strategy '{s}'; use one of {', '.join(STRATEGIES)}.")
    if models:
        names = list(models)
    elif llm is not None:
        names = [llm.model or "model"]
    else:
        if settings.base_url and not settings.model:
            raise ConfigError(f"No model name for {settings.base_url}; give --model NAME or set DRAFTER_MODEL.")
        names = [settings.model if settings.base_url else settings.local_model]
    if llm is None:
        for name in names:
            _client_identity(settings, name)  # unknown local model: ConfigError now, not after the first case
    seen: dict[str, Variant] = {}
    for m in names:
        for p in dict.fromkeys(pvs):
            for s in dict.fromkeys(strats):
                v = Variant(p, s, m)
                seen.setdefault(v.id, v)
    return list(seen.values())


def _prompt_plan(settings: Settings, cases: Sequence[Case], variants: Sequence[Variant]) -> tuple[dict, dict, list[str]]:
    """Check every (variant, section kind) has a prompt before any call.

    Returns:
        (effective prompt variant per (case id, variant id), prompts used {name: sha256}, warnings).
    """
    from drafter.drafting.engine import Engine
    from drafter.drafting.prompts import PromptLibrary

    library = PromptLibrary(settings.prompts_dir)
    local = settings.base_url is None
    effective: dict[tuple[str, str], str | None] = {}
    used: dict[str, str] = {}
    lacking: dict[str, set[str]] = {}
    for v in variants:
        for case in cases:
            pv = v.prompt_variant
            for attempt in ([pv, None] if pv else [None]):
                engine = Engine(None, library, strategy=v.strategy, variant=attempt, grammar_ok=local)
                try:
                    prompts = [engine._prompt(kind) for kind in case.kinds]
                except PromptError:
                    if attempt is None:
                        raise
                    lacking.setdefault(v.id, set()).update(case.kinds)
                    continue
                effective[(case.id, v.id)] = attempt
                used.update({p.name: p.sha256 for p in prompts})
                break
    for v in variants:
        if v.prompt_variant and all(effective.get((c.id, v.id)) is None for c in cases):
            raise PromptError(f"No prompt variant '{v.prompt_variant}' for any section of the selected cases "
                              f"(looked for prompts named KIND-{v.prompt_variant} and KIND-prose-{v.prompt_variant}"
                              f"{' in ' + str(settings.prompts_dir) if settings.prompts_dir else ''}).")
    warnings = [f"Variant {vid} has no prompt for {', '.join(sorted(kinds))}; cases with those sections use the default prompts."
                for vid, kinds in lacking.items()]
    return effective, used, warnings


# ---------------------------------------------------------------- one output


def _record(case: Case, variant: Variant, repeat: int, draft: Any, hits: list[list[Any]], library: Any) -> list[dict]:
    sections = []
    for i, sec in enumerate(draft.sections):
        sec_hits = sec.hits or (hits[i] if i < len(hits) else [])
        try:
            target = sec.target or (library.get(sec.prompt).meta.target_chars if sec.prompt else 0)
        except DrafterError:
            target = 0
        sections.append({
            "kind": sec.kind, "heading": sec.heading, "body": sec.body, "strategy": sec.strategy, "warnings": sec.warnings,
            "prompt": sec.prompt, "prompt_sha256": sec.prompt_sha256, "target_chars": target,
            "figures": [figure_to_dict(f) for f in sec.figures],
            "facts": [f.text for f in sec.facts],
            "messages": sec.messages, "replies": sec.replies, "dropped": sec.dropped,
            "repair_rounds": sec.repair_rounds,
            "passages": [{"chunk_id": h.chunk.id, "source": h.chunk.source, "report": h.chunk.report_title,
                          "section_path": h.chunk.section_path, "score": round(float(h.score), 6),
                          "used": j < sec.passages_used, "text": h.chunk.text} for j, h in enumerate(sec_hits)],
            "check": sec.check.to_dict(),
            "latency": round(sec.latency, 3), "prompt_tokens": sec.prompt_tokens, "completion_tokens": sec.completion_tokens,
        })
    return sections


def _draft_one(d: EvalDrafter, meter: Meter, library: Any, settings: Settings, case: Case, variant: Variant,
               repeat: int, prompt_variant: str | None) -> dict[str, Any]:
    script = case.script or settings.script
    rec: dict[str, Any] = {
        "key": output_key(case.id, variant, repeat), "case": case.id, "case_sha": case.sha256, "tags": case.tags,
        "variant": variant.to_dict(), "prompt_variant_used": prompt_variant, "repeat": repeat, "seed": repeat,
        "server": meter.identity, "script": script, "expect": case.expect.model_dump(mode="json"),
        "corpus": [str(p) for p in case.corpus] if case.corpus else None,
        "figures": figset_to_dict(case.figset),
    }
    meter.begin()
    t0 = time.monotonic()
    with d.capture() as hits:
        try:
            draft = d.write(case.figset, sections=case.kinds if case.single else None,
                            outline=None if case.single else case.outline, corpus=case.corpus,
                            strategy=variant.strategy, script=script, variant=prompt_variant)
        except DrafterError as exc:
            if meter.backend.failed is not None:
                raise
            rec.update(status="error", error=str(exc), error_type=type(exc).__name__, sections=[], output="")
        else:
            rec.update(status="ok", output=draft.text, sections=_record(case, variant, repeat, draft, hits, library))
    rec["calls"] = meter.end()
    rec["wall"] = round(time.monotonic() - t0, 3)
    rec["finished"] = now()
    rec["metrics"] = output_metrics(rec) if rec["status"] == "ok" else {}
    return rec


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
    effective, prompts_used, warnings = _prompt_plan(settings, cases, variants)
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
    d = EvalDrafter(settings, embedder=embedder)
    for corpus in dict.fromkeys(tuple(c.corpus) for c in cases if c.corpus):
        d.ingest(list(corpus))
    if any(not c.corpus for c in cases) and d.store.count() == 0:
        d.ingest([BUNDLED_CORPUS])  # what Drafter.write would do, once, before any thread starts
    result = RunResult(path, {})
    emit = progress or (lambda event, payload: None)
    emit("start", {"total": len(plan), "path": str(path)})
    records_fh = (path / "records.jsonl").open("a", encoding="utf-8")
    try:
        for model in dict.fromkeys(v.model for v in variants):
            backend = _backend(settings, model, llm)
            cached = CachedClient(backend, settings.cache_dir())
            meter = Meter(cached, backend)
            d.use(meter)
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
                        return _draft_one(d, meter, library, settings, c, v, r, effective[(c.id, v.id)])

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


def _backend(settings: Settings, model: str, llm: LLMClient | None) -> Backend:
    """The lazily opened client of one model: the injected one, or the configured server."""
    local = settings.base_url is None
    if llm is not None:
        return Backend(lambda: contextlib.nullcontext(llm), llm.identity or "injected", model, local, inner=llm)
    from drafter.llm.client import open_client

    identity, name = _client_identity(settings, model)
    msettings = _settings_for(settings, model)
    return Backend(lambda: open_client(msettings), identity, name, local)


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
