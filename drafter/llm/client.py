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
the embedding-server embedder. :class:`CachedClient` is the reply cache;
:class:`LazyClient` starts the embedded server only for a request the cache
does not answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter.llm.endpoint import NO_KEY, OpenAIEndpoint, _chat_json, _EmptyReply, _StreamBroken, _transport_errors

__all__ = ["NO_KEY", "CachedClient", "Completion", "LazyClient", "LLMClient", "Message", "OpenAIClient", "OpenAIEndpoint",
           "client_identity", "open_client"]

if TYPE_CHECKING:
    from drafter.config import Settings

log = logging.getLogger(__name__)

Message = dict[str, Any]
"""One chat message: ``{"role": "system"|"user"|"assistant", "content": str}``."""


@dataclass
class Completion:
    """One reply of the model."""

    text: str
    """The reply text (never empty for a real client: empty replies are retried)."""
    finish_reason: str | None
    """``"stop"``, ``"length"`` (cut at ``max_tokens``; the caller decides) or ``None``."""
    prompt_tokens: int = 0
    """Tokens of the prompt as counted by the server (0 when it did not say)."""
    completion_tokens: int = 0
    """Tokens of the reply as counted by the server (when streaming without usage: chunks received)."""
    latency: float = 0.0
    """Wall seconds this call took, retries included (near 0 for a cache hit)."""
    cached: bool = False
    """True when the reply came from :class:`CachedClient`'s disk cache."""


class LLMClient(ABC):
    """Anything that completes a chat. Implement :meth:`complete`; nothing else is required.

    The attributes below describe the model for cache keys and eval records;
    subclasses set them when they know them.
    """

    identity: str = ""
    """Stable name of the server for cache keys (a base_url, or ``local:<model>:<sha>``)."""
    model: str = ""
    """Model name sent with each request."""
    seed: int | None = None
    """Sampling seed sent with each request (``None``: the server's choice)."""

    @abstractmethod
    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float,
        response_format: dict[str, Any] | None = None,
        grammar: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        """Complete a chat.

        Args:
            messages: chat messages, ``[{"role": ..., "content": ...}, ...]``.
            max_tokens: upper bound on reply tokens; a reply cut there comes
                back with ``finish_reason == "length"``.
            temperature: sampling temperature, 0–2.
            response_format: e.g. ``{"type": "json_object", "schema": {...}}``
                (llama.cpp's form; its OpenAI-style ``json_schema`` fails with HTTP 500).
            grammar: a GBNF grammar constraining the reply (llama.cpp servers only).
            on_token: when given, the reply is streamed and each text piece is
                passed to it as it arrives.

        Returns:
            The :class:`Completion`.

        Raises:
            ModelError: the model could not be reached or gave no usable reply.
        """


# ---------------------------------------------------------------- OpenAI-compatible client


class OpenAIClient(OpenAIEndpoint, LLMClient):
    """Client of any OpenAI-compatible chat server, with bounded retries (see :class:`OpenAIEndpoint`).

    Args:
        base_url, model, api_key_env, timeout, max_retries, backoff, backoff_max:
            as for :class:`OpenAIEndpoint`.
        seed: sampling seed sent with every request, or ``None``.
        identity: stable name for cache keys; defaults to ``base_url``.

    Raises:
        ConfigError: empty ``base_url``/``model``, or no key for a remote server.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        timeout: float = 180.0,
        max_retries: int = 3,
        seed: int | None = None,
        backoff: float = 1.0,
        backoff_max: float = 30.0,
        identity: str | None = None,
    ) -> None:
        super().__init__(base_url, model, api_key_env=api_key_env, timeout=timeout, max_retries=max_retries,
                         backoff=backoff, backoff_max=backoff_max)
        self.seed = seed
        self.identity = identity or self.base_url

    def __repr__(self) -> str:
        return f"OpenAIClient(base_url={self.base_url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    # -- one request

    def _request(self, messages: list[Message], max_tokens: int, temperature: float,
                 response_format: dict[str, Any] | None, grammar: str | None) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if self.seed is not None:
            kw["seed"] = self.seed
        if response_format is not None:
            kw["response_format"] = response_format
        if grammar is not None:
            kw["extra_body"] = {"grammar": grammar}
        return kw

    def _once(self, kw: dict[str, Any], on_token: Callable[[str], None] | None) -> Completion:
        if on_token is None:
            raw = self._client.chat.completions.with_raw_response.create(**kw)
            _chat_json(raw.headers.get("content-type", ""), raw.content)  # a web page or a file is no reply
            resp = raw.parse()
            choice = resp.choices[0] if resp.choices else None
            text = (choice.message.content or "") if choice else ""
            usage = resp.usage
            comp = Completion(
                text=text,
                finish_reason=choice.finish_reason if choice else None,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            )
        else:
            comp = self._stream(kw, on_token)
        if not comp.text.strip():
            raise _EmptyReply()
        return comp

    def _stream(self, kw: dict[str, Any], on_token: Callable[[str], None]) -> Completion:
        pieces: list[str] = []
        finish: str | None = None
        prompt_tokens = completion_tokens = chunks = 0
        timeout_error, transport_error = _transport_errors()
        raw = self._client.chat.completions.with_raw_response.create(stream=True, stream_options={"include_usage": True}, **kw)
        content_type = raw.headers.get("content-type", "")
        if "text/event-stream" not in content_type.lower():  # not a stream: a whole reply, or something else
            try:
                body = raw.http_response.read()
            except timeout_error as exc:
                raise _StreamBroken(True, f"{type(exc).__name__}: {exc}") from exc
            except transport_error as exc:
                raise _StreamBroken(False, f"{type(exc).__name__}: {exc}") from exc
            data = _chat_json(content_type, body)
            choice = (data["choices"] or [{}])[0] or {}
            text = ((choice.get("message") or {}).get("content")) or ""
            if text:
                on_token(text)
            usage = data.get("usage") or {}
            return Completion(text=text, finish_reason=choice.get("finish_reason"),
                              prompt_tokens=usage.get("prompt_tokens") or 0, completion_tokens=usage.get("completion_tokens") or 0)
        stream = raw.parse()
        try:
            with stream:
                for chunk in stream:
                    if chunk.usage:
                        prompt_tokens = chunk.usage.prompt_tokens or 0
                        completion_tokens = chunk.usage.completion_tokens or 0
                    for choice in chunk.choices:
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            pieces.append(piece)
                            chunks += 1
                            on_token(piece)
                        if choice.finish_reason:
                            finish = choice.finish_reason
        except timeout_error as exc:
            raise _StreamBroken(True, f"{type(exc).__name__}: {exc}") from exc
        except transport_error as exc:
            raise _StreamBroken(False, f"{type(exc).__name__}: {exc}") from exc
        return Completion(
            text="".join(pieces),
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens or chunks,
        )

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float,
        response_format: dict[str, Any] | None = None,
        grammar: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        """Complete a chat (see :meth:`LLMClient.complete`).

        With ``on_token``, pieces of a try that fails midway were already passed
        to it before the retry starts over.
        """
        kw = self._request(messages, max_tokens, temperature, response_format, grammar)
        t0 = time.monotonic()
        comp = self.call(self._once, kw, on_token)
        comp.latency = time.monotonic() - t0
        return comp

# ---------------------------------------------------------------- reply cache


class CachedClient(LLMClient):
    """Wraps a client with an on-disk reply cache (one JSON file per reply).

    The key is the sha256 of the server identity, model, messages, max_tokens,
    temperature, response_format, grammar and seed; never the API key or the
    timeout. Only non-empty replies are stored; files are written to a
    temporary name and renamed, so concurrent threads and processes are safe.
    Same request, same reply, even at temperature > 0: vary the wrapped
    client's ``seed`` to sample again.

    Args:
        client: the client doing the real calls.
        cache_dir: Drafter's cache folder; replies go in ``cache_dir/replies``.

    Attributes:
        hits: replies served from disk.
        misses: requests not found on disk.
        calls: real calls made to ``client``.
    """

    def __init__(self, client: LLMClient, cache_dir: Path) -> None:
        self.client = client
        self.folder = Path(cache_dir) / "replies"
        self.hits = self.misses = self.calls = 0
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:  # type: ignore[override]
        return self.client.identity

    @property
    def model(self) -> str:  # type: ignore[override]
        return self.client.model

    @property
    def seed(self) -> int | None:  # type: ignore[override]
        return self.client.seed

    def request_record(self, messages: list[Message], max_tokens: int, temperature: float,
                       response_format: dict[str, Any] | None, grammar: str | None) -> dict[str, Any]:
        """Everything the cache key is made of, as a JSON-able dict."""
        return {
            "server": self.client.identity,
            "model": self.client.model,
            "messages": messages,
            "max_tokens": int(max_tokens),
            "temperature": float(temperature),
            "response_format": response_format,
            "grammar": grammar,
            "seed": self.client.seed,
        }

    @staticmethod
    def key_of(record: dict[str, Any]) -> str:
        """sha256 hex of a request record (canonical JSON)."""
        blob = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float,
        response_format: dict[str, Any] | None = None,
        grammar: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        """Serve from the cache, else call the wrapped client and store the reply.

        On a hit, ``on_token`` (if given) receives the whole text at once.
        """
        t0 = time.monotonic()
        record = self.request_record(messages, max_tokens, temperature, response_format, grammar)
        key = self.key_of(record)
        path = self._path(key)
        hit = self._read(path)
        if hit is not None:
            with self._lock:
                self.hits += 1
            if on_token is not None:
                on_token(hit.text)
            hit.cached, hit.latency = True, time.monotonic() - t0
            return hit
        with self._lock:
            self.misses += 1
            self.calls += 1
        comp = self.client.complete(
            messages, max_tokens=max_tokens, temperature=temperature,
            response_format=response_format, grammar=grammar, on_token=on_token,
        )
        if comp.text:
            try:
                self._write(path, {"key": key, "request": record, "completion": asdict(comp), "created": time.time()})
            except OSError as exc:  # a read-only cache costs a repeat call later, never this reply
                log.warning("%s: cannot write the reply cache (%s); the reply is used but not kept.", self.folder, exc.strerror or exc)
        return comp

    @staticmethod
    def _read(path: Path) -> Completion | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            c = data["completion"]
            return Completion(
                text=c["text"], finish_reason=c.get("finish_reason"),
                prompt_tokens=c.get("prompt_tokens", 0), completion_tokens=c.get("completion_tokens", 0),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("%s: unreadable cache entry, ignored.", path)
            return None

    @staticmethod
    def _write(path: Path, data: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


# ---------------------------------------------------------------- from settings


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
