"""Talking to an LLM: one small interface, an OpenAI-compatible client and a reply cache.

Everything that needs a model takes an :class:`LLMClient`, whose one required
method is :meth:`LLMClient.complete`. :func:`open_client` builds the right one
from :class:`~drafter.config.Settings`: an :class:`OpenAIClient` for
``base_url``, or the embedded llama.cpp server (see :mod:`drafter.llm.localmodel`)
when ``base_url`` is unset.

Example::

    with open_client(settings, cache=True) as llm:
        reply = llm.complete(
            [{"role": "user", "content": "用一句话介绍你自己。"}],
            max_tokens=200, temperature=settings.temperature,
        )
        print(reply.text, reply.finish_reason)

The API key is read from the environment variable *named* by
``Settings.api_key_env`` at client creation. It is never stored in a file,
logged, put in an error message or in a cache key. Key handling, retries and
error messages live in :class:`drafter.llm.endpoint.OpenAIEndpoint`, shared with
the embedding-server embedder.

This module chooses and opens the client (:func:`open_client`,
:class:`LazyClient`, which starts the embedded server only for a request the
cache does not answer) and is where the client names are imported from: the
interface is :mod:`drafter.llm.interface`, the OpenAI-compatible client
:mod:`drafter.llm.openai_client`, the reply cache :mod:`drafter.llm.cache`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from drafter.llm.cache import CachedClient
from drafter.llm.endpoint import NO_KEY, OpenAIEndpoint
from drafter.llm.interface import Completion, LLMClient, Message
from drafter.llm.openai_client import OpenAIClient

__all__ = ["NO_KEY", "CachedClient", "Completion", "LazyClient", "LLMClient", "Message", "OpenAIClient", "OpenAIEndpoint",
           "client_identity", "open_client"]

if TYPE_CHECKING:
    from drafter.config import Settings


class LazyClient(LLMClient):
    """A client opened on its first call, so that a run whose every reply is cached starts no server.

    Args:
        opener: returns a context manager yielding the real client (e.g.
            ``lambda: open_client(settings)``); entered on the first
            :meth:`complete`, left by :meth:`close`.
        identity: the real client's cache identity, known before it opens.
        model: the real client's model name.

    Attributes:
        opened: True once the real client was opened (the embedded server started).
    """

    def __init__(self, opener: Callable[[], Any], identity: str, model: str) -> None:
        self.identity, self.model, self.seed = identity, model, None
        self._opener = opener
        self._client: LLMClient | None = None
        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()
        self.opened = False

    def _open(self) -> LLMClient:
        with self._lock:
            if self._client is None:
                self._client = self._stack.enter_context(self._opener())
                self.opened = True
            return self._client

    def complete(self, messages: list[Message], *, max_tokens: int, temperature: float,
                 response_format: dict[str, Any] | None = None, grammar: str | None = None,
                 on_token: Callable[[str], None] | None = None) -> Completion:
        """Open the real client if needed and pass the call on (see :meth:`LLMClient.complete`)."""
        client = self._open()
        client.seed = self.seed
        return client.complete(messages, max_tokens=max_tokens, temperature=temperature,
                               response_format=response_format, grammar=grammar, on_token=on_token)

    def close(self) -> None:
        """Close the real client (stop the embedded server) if it was opened."""
        with self._lock:
            self._stack.close()
            self._client = None


def client_identity(settings: Settings) -> tuple[str, str]:
    """``(identity, model)`` the reply cache is keyed on for these settings, known before any server starts.

    Raises:
        ConfigError: unknown embedded model name.
    """
    if settings.base_url:
        return settings.base_url.rstrip("/"), settings.model or ""
    from drafter.llm.localmodel import get_spec

    spec = get_spec(settings.model or settings.local_model)
    return f"local:{spec.name}:{spec.sha256[:16]}", spec.name


@contextlib.contextmanager
def open_client(settings: Settings, *, cache: bool = False, lazy: bool = False) -> Iterator[LLMClient]:
    """Yield the client the settings ask for; start and stop the embedded server if needed.

    With ``settings.base_url`` set: an :class:`OpenAIClient` for it
    (``settings.model``, key from ``$<api_key_env>``). Otherwise the embedded
    model ``settings.local_model`` is joined if needed
    (:func:`drafter.llm.localmodel.ensure_model_file`), served with
    ``settings.threads`` threads on 127.0.0.1 for the duration of the
    ``with`` block, and stopped afterwards, also on errors and Ctrl-C.

    Args:
        settings: resolved :class:`~drafter.config.Settings`.
        cache: wrap the client in a :class:`CachedClient` under
            ``settings.cache_dir()`` (same request → same reply).
        lazy: start the embedded server only on the first call that is not
            served from the cache (a :class:`LazyClient`); errors of starting
            it come from that call then. No effect with ``base_url``.

    Raises:
        ConfigError: missing model name or API key, unknown local model.
        ModelError: the local model cannot be joined or its server not started.
    """
    if lazy and not settings.base_url:  # a client for base_url is cheap to make: it is made at once
        identity, model = client_identity(settings)
        lazy_client = LazyClient(lambda: open_client(settings), identity, model)
        try:
            yield CachedClient(lazy_client, settings.cache_dir()) if cache else lazy_client
        finally:
            lazy_client.close()
        return
    common = {"timeout": settings.timeout, "max_retries": settings.max_retries}
    if settings.base_url:
        client: LLMClient = OpenAIClient(
            settings.base_url, settings.model or "", api_key_env=settings.api_key_env, **common
        )
        yield CachedClient(client, settings.cache_dir()) if cache else client
        return

    from drafter.llm.localmodel import LocalServer, ensure_model_file, get_spec

    spec = get_spec(settings.model or settings.local_model)  # without base_url, --model names an embedded model
    path = ensure_model_file(spec.name, settings.cache_dir())
    with LocalServer(path, alias=spec.name, threads=settings.threads, log_dir=settings.cache_dir() / "logs") as server:
        client = OpenAIClient(
            server.base_url, spec.name, api_key_env=None,
            identity=f"local:{spec.name}:{spec.sha256[:16]}", **common,
        )
        yield CachedClient(client, settings.cache_dir()) if cache else client
