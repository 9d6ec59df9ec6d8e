"""Talking to an LLM: one small interface, an OpenAI-compatible client and a reply cache.

Everything that needs a model takes an :class:`LLMClient`, whose one required
method is :meth:`LLMClient.complete`. :func:`open_client` builds the right one
from :class:`~drafter.config.Settings`: an :class:`OpenAIClient` for
``base_url``, or the embedded llama.cpp server (see :mod:`drafter.localmodel`)
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
logged, put in an error message or in a cache key.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import logging
import os
import random
import re
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from .errors import ConfigError, ModelError

if TYPE_CHECKING:
    from .config import Settings

log = logging.getLogger(__name__)

Message = dict[str, Any]
"""One chat message: ``{"role": "system"|"user"|"assistant", "content": str}``."""

NO_KEY = "sk-no-key"
"""Placeholder key sent to servers that need none (the embedded server, localhost)."""


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


class _EmptyReply(Exception):
    """The server answered with no text; retried like a transient fault."""


class _StreamBroken(Exception):
    """A stream stopped midway (timeout or network fault); retried."""

    def __init__(self, timed_out: bool, detail: str) -> None:
        super().__init__(detail)
        self.timed_out = timed_out


def _transport_errors() -> tuple[type[BaseException], type[BaseException]]:
    """(timeout, any transport error) classes of the HTTP library openai uses.

    openai wraps these only while sending a request; while reading a stream they
    come through bare.
    """
    try:
        import httpx2 as httpx  # openai>=3
    except ImportError:  # pragma: no cover - older openai
        import httpx  # type: ignore[no-redef]
    return httpx.TimeoutException, httpx.TransportError


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, (_EmptyReply, _StreamBroken, openai.APIConnectionError, openai.RateLimitError)):
        return True  # APIConnectionError includes APITimeoutError
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _server_message(exc: Any) -> str:
    """The human part of an HTTP error body, short."""
    body = getattr(exc, "body", None)
    msg: Any = None
    if isinstance(body, dict):
        msg = body.get("message") or body.get("detail") or body.get("error")
        if isinstance(msg, dict):
            msg = msg.get("message")
    if not msg:
        msg = getattr(exc, "message", None) or str(exc)
    text = " ".join(str(msg).split())
    return text[:300] + ("…" if len(text) > 300 else "")


class OpenAIClient(LLMClient):
    """Client of any OpenAI-compatible chat server, with bounded retries.

    429, HTTP 5xx, timeouts, connection errors and empty replies are retried
    ``max_retries`` times with exponential backoff (``backoff`` · 2^n seconds,
    capped at ``backoff_max``, plus jitter; a ``Retry-After`` header is
    honoured up to ``backoff_max``). Other HTTP errors fail at once. Every
    failure is a :class:`ModelError` naming the server, what happened and what
    to do; the API key never appears in it.

    Args:
        base_url: server URL ending in ``/v1``, e.g. ``http://127.0.0.1:8080/v1``.
        model: model name on that server.
        api_key_env: name of the environment variable holding the key. When it
            is unset or empty and the server is on this machine, a placeholder
            key is sent; for a remote server that is a :class:`ConfigError`.
            ``None``: send the placeholder (servers that need no key).
        timeout: seconds to wait for the server (per request; for streams,
            between pieces).
        max_retries: retries after the first try (so ``max_retries + 1`` tries).
        seed: sampling seed sent with every request, or ``None``.
        backoff: first backoff in seconds.
        backoff_max: longest single wait in seconds.
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
        import openai

        if not base_url:
            raise ConfigError("base_url is empty; give the URL of an OpenAI-compatible server, e.g. http://host:8000/v1.")
        if not model:
            raise ConfigError(
                f"No model name set for {base_url}.",
                "Set 'model' (DRAFTER_MODEL or the config file) to the model name on that server.",
            )
        if max_retries < 0 or timeout <= 0:
            raise ConfigError("max_retries must be >= 0 and timeout > 0.")
        key = os.environ.get(api_key_env, "") if api_key_env else ""
        if not key:
            if api_key_env and not _is_loopback(base_url):
                raise ConfigError(
                    f"The environment variable {api_key_env} is not set, so there is no API key for {base_url}.",
                    f"Set {api_key_env} to your key, or set api_key_env to the variable that holds it.",
                )
            key = NO_KEY
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.seed = seed
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.identity = identity or self.base_url
        self._secrets = [key] if key != NO_KEY and len(key) >= 4 else []
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout, max_retries=0)

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
            resp = self._client.chat.completions.create(**kw)
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
        stream = self._client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kw)
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

    # -- retries

    def _wait(self, state: Any) -> float:
        import openai

        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, openai.APIStatusError):
            with contextlib.suppress(TypeError, ValueError):
                return min(float(exc.response.headers.get("retry-after")), self.backoff_max)
        base = min(self.backoff * 2 ** (state.attempt_number - 1), self.backoff_max)
        return base + random.uniform(0, base * 0.1)

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
        import openai
        from tenacity import Retrying, retry_if_exception, stop_after_attempt

        kw = self._request(messages, max_tokens, temperature, response_format, grammar)
        tries = self.max_retries + 1
        t0 = time.monotonic()

        def before_sleep(state: Any) -> None:
            exc = state.outcome.exception()
            log.warning("%s: try %d/%d failed (%s); retrying.", self.base_url, state.attempt_number, tries,
                        self._scrub(type(exc).__name__ + ": " + _server_message(exc)))

        retrying = Retrying(
            stop=stop_after_attempt(tries),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            comp = retrying(self._once, kw, on_token)
        except (_EmptyReply, _StreamBroken, openai.OpenAIError) as exc:
            raise self._error(exc, tries) from None
        comp.latency = time.monotonic() - t0
        return comp

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return re.sub(r"\bsk-[A-Za-z0-9_\-*]{6,}", "sk-***", text)

    def _error(self, exc: BaseException, tries: int) -> ModelError:
        import openai

        where = f"The model server at {self.base_url}"
        n = f"{tries} {'try' if tries == 1 else 'tries'}"
        if isinstance(exc, _EmptyReply):
            msg, hint = f"{where} returned an empty reply ({n}).", "Check the prompt and the server log, or try another model."
        elif isinstance(exc, openai.APITimeoutError) or (isinstance(exc, _StreamBroken) and exc.timed_out):
            msg = f"{where} did not answer within {self.timeout:.0f} s ({n})."
            hint = "Raise the timeout setting (DRAFTER_TIMEOUT), ask for fewer tokens, or check that the server is not overloaded."
        elif isinstance(exc, openai.APIConnectionError):
            msg = f"Cannot connect to the model server at {self.base_url} ({n})."
            hint = "Check that the server is running and that base_url is right."
        elif isinstance(exc, _StreamBroken):
            msg = f"{where} broke off its streamed reply ({n}): {exc}"
            hint = "Check the server and its log; run again later."
        elif isinstance(exc, openai.RateLimitError):
            msg = f"{where} kept answering HTTP 429 (rate limit or quota) ({n}): {_server_message(exc)}"
            hint = "Wait and run again, or raise max_retries."
        elif isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            var = f"${self.api_key_env}" if self.api_key_env else "no key"
            msg = f"{where} refused the API key ({var}) with HTTP {exc.status_code}."
            hint = f"Check that {var} holds a valid key for this server."
        elif isinstance(exc, openai.NotFoundError):
            msg = f"{where} answered HTTP 404 for model '{self.model}': {_server_message(exc)}"
            hint = "Check the model name and that base_url ends with /v1."
        elif isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status >= 500:
                msg = f"{where} failed with HTTP {status} ({n}): {_server_message(exc)}"
                hint = "Check the server and its log; run again later."
            else:
                msg = f"{where} rejected the request with HTTP {status}: {_server_message(exc)}"
                hint = "The request does not suit this server (prompt too long, unsupported option?)."
        else:
            msg, hint = f"{where} gave an unusable reply: {_server_message(exc)}", None
        return ModelError(self._scrub(msg), hint)


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
            self._write(path, {"key": key, "request": record, "completion": asdict(comp), "created": time.time()})
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


@contextlib.contextmanager
def open_client(settings: Settings, *, cache: bool = False) -> Iterator[LLMClient]:
    """Yield the client the settings ask for; start and stop the embedded server if needed.

    With ``settings.base_url`` set: an :class:`OpenAIClient` for it
    (``settings.model``, key from ``$<api_key_env>``). Otherwise the embedded
    model ``settings.local_model`` is joined if needed
    (:func:`drafter.localmodel.ensure_model_file`), served with
    ``settings.threads`` threads on 127.0.0.1 for the duration of the
    ``with`` block, and stopped afterwards, also on errors and Ctrl-C.

    Args:
        settings: resolved :class:`~drafter.config.Settings`.
        cache: wrap the client in a :class:`CachedClient` under
            ``settings.cache_dir()`` (same request → same reply).

    Raises:
        ConfigError: missing model name or API key, unknown local model.
        ModelError: the local model cannot be joined or its server not started.
    """
    common = {"timeout": settings.timeout, "max_retries": settings.max_retries}
    if settings.base_url:
        client: LLMClient = OpenAIClient(
            settings.base_url, settings.model or "", api_key_env=settings.api_key_env, **common
        )
        yield CachedClient(client, settings.cache_dir()) if cache else client
        return

    from .localmodel import LocalServer, ensure_model_file, get_spec

    spec = get_spec(settings.model or settings.local_model)  # without base_url, --model names an embedded model
    path = ensure_model_file(spec.name, settings.cache_dir())
    with LocalServer(path, alias=spec.name, threads=settings.threads, log_dir=settings.cache_dir() / "logs") as server:
        client = OpenAIClient(
            server.base_url, spec.name, api_key_env=None,
            identity=f"local:{spec.name}:{spec.sha256[:16]}", **common,
        )
        yield CachedClient(client, settings.cache_dir()) if cache else client
