"""The server's long-lived model and its one-at-a-time job queue.

The embedded model (a llama.cpp server) takes seconds to start and a
gigabyte of memory, and the machine drafts one section at a time; so
``drafter serve`` opens the model once for its lifetime (:class:`ServerModel`)
and runs drafts and ingests one after the other in one worker thread
(:class:`JobQueue`). A request that arrives while another runs waits its turn;
its position is part of its events, which the page shows.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drafter.config import Settings
from drafter.errors import DrafterError, ModelError
from drafter.llm.client import Completion, LLMClient, Message


class ServerModel(LLMClient):
    """The LLM client for the server's lifetime.

    With an injected client (tests: :class:`drafter.testing.FakeLLM`; other
    tools) it is used as it is. Otherwise :func:`drafter.llm.client.open_client` is
    entered once by :meth:`start` — for the embedded model that starts the
    llama.cpp server — and left by :meth:`close`. Calls made while it starts
    wait for it.

    Args:
        settings: the server's settings (``base_url``, ``local_model`` …).
        injected: a client to use instead of the configured one.

    Attributes:
        state: ``starting``, ``ready`` or ``failed``; error: why it failed.
    """

    def __init__(self, settings: Settings, injected: LLMClient | None = None) -> None:
        self.settings = settings
        self._client = injected
        self._injected = injected is not None
        self._stack = contextlib.ExitStack()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.state = "ready" if injected is not None else "stopped"
        self.error = ""
        if injected is not None:
            self._ready.set()

    @property
    def identity(self) -> str:  # type: ignore[override]
        return getattr(self._client, "identity", "")

    @property
    def model(self) -> str:  # type: ignore[override]
        return getattr(self._client, "model", "") or (self.settings.model or self.settings.local_model)

    @property
    def schema_ok(self) -> bool:
        """The embedded llama.cpp server honours JSON schemas; another server when it says so."""
        if self._injected or self.settings.base_url:
            return bool(getattr(self._client, "schema_ok", False))
        return True

    @property
    def grammar_ok(self) -> bool:
        """The embedded llama.cpp server honours GBNF grammars."""
        if self._injected or self.settings.base_url:
            return bool(getattr(self._client, "grammar_ok", False))
        return True

    def start(self) -> None:
        """Open the configured client in a background thread (no-op when injected or already open)."""
        with self._lock:
            if self._injected or self.state in ("starting", "ready"):
                return
            self.state, self.error = "starting", ""
            self._ready.clear()
        threading.Thread(target=self._open, name="drafter-model", daemon=True).start()

    def _open(self) -> None:
        from drafter.llm.client import open_client

        try:
            client = self._stack.enter_context(open_client(self.settings))
        except DrafterError as exc:
            self.state, self.error = "failed", str(exc)
        except Exception as exc:  # a bug: keep the server up, say what happened
            self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        else:
            self._client, self.state = client, "ready"
        self._ready.set()

    def complete(self, messages: list[Message], *, max_tokens: int, temperature: float,
                 response_format: dict[str, Any] | None = None, grammar: str | None = None,
                 on_token: Callable[[str], None] | None = None) -> Completion:
        """Complete with the open client, waiting while it starts.

        Raises:
            ModelError: the model failed to start (the reason), or from the client.
        """
        if self.state == "failed":
            self.start()  # try again: the reason may be gone (a server that came up)
        if self.state == "stopped":
            self.start()
        self._ready.wait()
        if self._client is None:
            raise ModelError(f"The model could not be started: {self.error}")
        return self._client.complete(messages, max_tokens=max_tokens, temperature=temperature,
                                     response_format=response_format, grammar=grammar, on_token=on_token)

    def close(self) -> None:
        """Stop the embedded server (if this opened one)."""
        self._stack.close()
        if not self._injected:
            self._client, self.state = None, "stopped"


@dataclass
class Job:
    """One queued piece of work and what it has told so far.

    Attributes:
        id: job id (a draft id for drafts); kind: ``draft`` or ``ingest``.
        events: ``(name, data)`` pairs in order; the page reads them as server-sent events.
        state: ``queued``, ``running``, ``done`` or ``failed``.
    """

    id: str
    kind: str
    run: Callable[[Callable[[str, Any], None]], Any]
    events: list[tuple[str, Any]] = field(default_factory=list)
    state: str = "queued"
    created: float = field(default_factory=time.time)

    def emit(self, name: str, data: Any) -> None:
        """Add an event (thread-safe enough: list appends are atomic)."""
        self.events.append((name, data))


class JobQueue:
    """Runs jobs one at a time, in order, in one worker thread.

    A job's ``run(emit)`` does the work and calls ``emit(name, data)`` to
    report progress; a :class:`DrafterError` it raises becomes an ``error``
    event with the message (the page shows it; the server goes on); any
    other exception is a bug: its traceback is printed and the event says so.
    """

    def __init__(self) -> None:
        self._pending: list[Job] = []
        self._jobs: dict[str, Job] = {}
        self._cond = threading.Condition()
        self._stop = False
        self._ids = itertools.count(1)
        self.current: Job | None = None
        self._thread = threading.Thread(target=self._work, name="drafter-jobs", daemon=True)
        self._thread.start()

    def submit(self, kind: str, run: Callable[[Callable[[str, Any], None]], Any], job_id: str | None = None) -> Job:
        """Queue a job; returns it (its ``id`` is ``job_id`` or a fresh one)."""
        job = Job(job_id or f"{kind}-{next(self._ids)}", kind, run)
        with self._cond:
            self._jobs[job.id] = job
            self._pending.append(job)
            job.emit("queued", {"ahead": self._ahead(job)})
            self._cond.notify_all()
        return job

    @property
    def size(self) -> int:
        """Jobs waiting or running."""
        with self._cond:
            return len(self._pending) + (1 if self.current else 0)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (the server is stopping)."""
        return self._stop

    def get(self, job_id: str) -> Job | None:
        """A job by id (finished jobs are kept for the server's lifetime)."""
        return self._jobs.get(job_id)

    def ahead(self, job: Job) -> int:
        """How many jobs run before ``job`` (the running one included); 0 once it runs."""
        with self._cond:
            return self._ahead(job)

    def _ahead(self, job: Job) -> int:
        if job not in self._pending:
            return 0
        return self._pending.index(job) + (1 if self.current else 0)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                job = self._pending.pop(0)
                self.current = job
            job.state = "running"
            job.emit("started", {"kind": job.kind})
            try:
                result = job.run(job.emit)
                job.state = "done"
                job.emit("done", result)
            except DrafterError as exc:
                job.state = "failed"
                job.emit("error", {"message": str(exc)})
            except Exception as exc:  # a bug: say so, keep serving
                traceback.print_exc()
                job.state = "failed"
                job.emit("error", {"message": f"Internal error ({type(exc).__name__}: {exc}); see the server's log."})
            finally:
                with self._cond:
                    self.current = None

    def close(self) -> None:
        """Stop the worker after the running job (queued ones are dropped)."""
        with self._cond:
            self._stop = True
            self._pending.clear()
            self._cond.notify_all()
        self._thread.join(timeout=5)
