"""Adapters between the eval runner and Drafter: a lazily opened model client, per-output call
metering, and a :class:`~drafter.api.Drafter` that records what retrieval returned."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from drafter.api import Drafter
from drafter.errors import DrafterError
from drafter.llm.client import CachedClient, Completion, LLMClient


class Backend(LLMClient):
    """Opens the real client on the first call (so a fully cached run starts no server)."""

    def __init__(self, opener: Callable[[], Any], identity: str, model: str, local: bool, inner: Any = None) -> None:
        self.identity, self.model, self.seed = identity, model, None
        self.schema_ok = local or bool(getattr(inner, "schema_ok", False))
        self.grammar_ok = local or bool(getattr(inner, "grammar_ok", False))
        self._opener, self._client, self._lock = opener, None, threading.Lock()
        self._stack = contextlib.ExitStack()
        self.failed: BaseException | None = None

    def _open(self) -> Any:
        with self._lock:
            if self.failed is not None:
                raise self.failed
            if self._client is None:
                try:
                    self._client = self._stack.enter_context(self._opener())
                except DrafterError as exc:
                    self.failed = exc
                    raise
            return self._client

    def complete(self, messages, *, max_tokens, temperature, response_format=None, grammar=None, on_token=None) -> Completion:
        client = self._open()
        client.seed = self.seed
        return client.complete(messages, max_tokens=max_tokens, temperature=temperature,
                               response_format=response_format, grammar=grammar, on_token=on_token)

    def close(self) -> None:
        self._stack.close()
        self._client = None


class Meter(LLMClient):
    """Counts calls per output (thread-local) and gives cached replies their original latency."""

    def __init__(self, cached: CachedClient, backend: Backend) -> None:
        self.cached, self.backend = cached, backend
        self.schema_ok, self.grammar_ok = backend.schema_ok, backend.grammar_ok
        self._tls = threading.local()

    identity = property(lambda self: self.cached.identity)  # type: ignore[assignment]
    model = property(lambda self: self.cached.model)  # type: ignore[assignment]

    def begin(self) -> None:
        self._tls.stats = {"model": 0, "cached": 0}

    def end(self) -> dict[str, int]:
        return dict(getattr(self._tls, "stats", {"model": 0, "cached": 0}))

    def complete(self, messages, *, max_tokens, temperature, response_format=None, grammar=None, on_token=None) -> Completion:
        comp = self.cached.complete(messages, max_tokens=max_tokens, temperature=temperature,
                                    response_format=response_format, grammar=grammar, on_token=on_token)
        stats = getattr(self._tls, "stats", None)
        if stats is not None:
            stats["cached" if comp.cached else "model"] += 1
        if comp.cached:
            key = self.cached.key_of(self.cached.request_record(messages, max_tokens, temperature, response_format, grammar))
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                stored = json.loads((self.cached.folder / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
                comp.latency = float(stored["completion"].get("latency", comp.latency))
        return comp


class EvalDrafter(Drafter):
    """A :class:`Drafter` that ingests each corpus once and records the passages each section retrieved."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._ingested: set[tuple[str, ...]] = set()
        self._sources: dict[tuple[str, ...], list[str]] = {}
        self._ingest_lock = threading.Lock()
        self._tls = threading.local()

    def use(self, llm: LLMClient) -> None:
        """Draft with ``llm`` from now on."""
        self._llm = llm

    def ingest(self, paths, prune=False, progress=None, on_progress=None):  # type: ignore[override]
        key = tuple(sorted(str(Path(p).resolve()) for p in paths))
        with self._ingest_lock:
            if key in self._ingested:
                return None
            report = super().ingest(paths, prune=prune, progress=progress, on_progress=on_progress)
            self._ingested.add(key)
            self._sources.clear()
            return report

    def sources_under(self, paths):  # type: ignore[override]
        # the store does not change during a run (each corpus is ingested once), so list its sources once per corpus
        key = tuple(sorted(str(Path(p).resolve()) for p in paths))
        with self._ingest_lock:
            if key not in self._sources:
                self._sources[key] = super().sources_under(paths)
            return list(self._sources[key])

    def retriever(self):  # type: ignore[override]
        real = super().retriever()
        sink = getattr(self._tls, "hits", None)

        class Recording:
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            def for_section(self, *a: Any, **kw: Any) -> list[Any]:
                hits = real.for_section(*a, **kw)
                if sink is not None:
                    sink.append(list(hits))
                return hits

        return Recording()

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[list[Any]]]:
        """Collect, per section in order, the hits retrieval returned."""
        self._tls.hits = []
        try:
            yield self._tls.hits
        finally:
            self._tls.hits = None
