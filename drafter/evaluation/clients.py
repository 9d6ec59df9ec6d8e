"""The model clients of an eval run: how each model of the matrix is opened (and keyed in the reply
cache) before any server starts, a lazily opened client, and per-output call metering."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

from drafter.config import Settings
from drafter.errors import DrafterError
from drafter.llm.client import CachedClient, Completion, LLMClient


def client_identity(settings: Settings, model: str) -> tuple[str, str]:
    """(identity, model) the reply cache is keyed on, known before any server starts.

    Raises:
        ConfigError: an unknown embedded model (no ``base_url``).
    """
    if settings.base_url:
        return settings.base_url.rstrip("/"), model
    from drafter.llm.localmodel import get_spec

    spec = get_spec(model)
    return f"local:{spec.name}:{spec.sha256[:16]}", spec.name


def open_backend(settings: Settings, model: str, llm: LLMClient | None) -> Backend:
    """The lazily opened client of one model of a run: the injected ``llm``, or the configured server.

    Args:
        settings: the run's settings; ``model`` replaces ``settings.model`` (with ``base_url``)
            or ``settings.local_model`` (the embedded server).
        llm: a client to use instead (tests); ``model`` then only labels it.
    """
    local = settings.base_url is None
    if llm is not None:
        return Backend(lambda: contextlib.nullcontext(llm), llm.identity or "injected", model, local, inner=llm)
    from drafter.llm.client import open_client

    identity, name = client_identity(settings, model)
    msettings = settings.model_copy(update={"model": model} if settings.base_url else {"local_model": model})
    return Backend(lambda: open_client(msettings), identity, name, local)


class Backend(LLMClient):
    """Opens the real client on the first call (so a fully cached run starts no server).

    Args:
        opener: returns a context manager yielding the client (``open_client(settings)``).
        identity, model: what the reply cache keys on (:func:`client_identity`), known before opening.
        local: the embedded llama.cpp server (it honours JSON schemas and grammars).
        inner: an injected client whose ``schema_ok``/``grammar_ok`` to declare.

    Attributes:
        seed: passed on to the client with each request (the repeat index).
        failed: the :class:`DrafterError` opening raised; every later call raises it again.
    """

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
    """Counts calls per output (thread-local) and gives cached replies their original latency.

    Args:
        cached: the reply cache over ``backend``. backend: the variant's model (:class:`Backend`).

    :meth:`begin` starts an output's count in this thread; :meth:`end` returns it as
    ``{"model": real calls, "cached": replies from the cache}``.
    """

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
