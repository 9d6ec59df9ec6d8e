"""The transport to an OpenAI-compatible server, shared by chat and embeddings.

:class:`OpenAIEndpoint` holds what :class:`drafter.llm.client.OpenAIClient` (chat
completions) and :class:`drafter.index.embeddings.OpenAIEmbedder` (``/v1/embeddings``)
have in common: the API key read from the environment variable *named* by a
setting (never stored, logged or put in a message), bounded retries with
exponential backoff (tenacity), and one :class:`~drafter.errors.ModelError`
per failure, naming the server and what to do.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import random
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

from drafter.errors import ConfigError, ModelError

log = logging.getLogger("drafter.llm.client")

T = TypeVar("T")

NO_KEY = "sk-no-key"
"""Placeholder key sent to servers that need none (the embedded server, localhost)."""


class _EmptyReply(Exception):
    """The server answered with no text; retried like a transient fault."""


class _NotAChatReply(Exception):
    """HTTP 200 with a body that is no chat completion (a web page, a file, other JSON); not retried."""


def _describe_body(content_type: str, body: bytes) -> str:
    """What came back, in a few words: the content type and the start of the text (or "binary")."""
    kind = content_type.split(";")[0].strip() or "no Content-Type"
    head = body[:4000]
    text = head.decode("utf-8", "replace")
    odd = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n"))
    if b"\x00" in head or odd > len(text) // 20:
        return f"{kind} ({len(body)} bytes of binary data)"
    if "<" in text and re.search(r"<(!doctype|html|head|body|title|div|p)\b", text, re.I):
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.I | re.S)
        text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    return f"{kind}: 「{text[:120]}{'…' if len(text) > 120 else ''}」" if text else f"{kind} (empty body)"


def _chat_json(content_type: str, body: bytes) -> dict[str, Any]:
    """The body as a chat completion dict, else :class:`_NotAChatReply` saying what it was."""
    import json

    if "json" in content_type.lower() or not content_type:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("choices"), list):
            return data
    raise _NotAChatReply(_describe_body(content_type, body))


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


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (``host`` a name or address, brackets allowed: ``[::1]``).

    The one loopback test of the package: a key is not required for a server on this machine, and
    the page needs no token when it listens only here (:mod:`drafter.web.security`)."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_loopback(url: str) -> bool:
    return is_loopback(urlparse(url).hostname or "")


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


class OpenAIEndpoint:
    """A connection to an OpenAI-compatible server: the key by variable name, bounded retries, clear errors.

    The transport shared by :class:`OpenAIClient` (chat) and
    :class:`drafter.index.embeddings.OpenAIEmbedder` (``/v1/embeddings``). 429, HTTP
    5xx, timeouts, connection errors and empty replies are retried
    ``max_retries`` times with exponential backoff (``backoff`` · 2^n seconds,
    capped at ``backoff_max``, plus jitter; a ``Retry-After`` header is
    honoured up to ``backoff_max``), by tenacity. Other HTTP errors fail at
    once. Every failure is a :class:`ModelError` naming the server, what
    happened and what to do; the API key never appears in it.

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
        backoff: first backoff in seconds.
        backoff_max: longest single wait in seconds.
        role: what the server is, for messages (``"model server"``, ``"embedding server"``).
        url_setting: the setting that names the URL, for hints (``base_url``, ``embed_base_url``).
        key_setting: the setting that names the key's variable, for hints.

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
        backoff: float = 1.0,
        backoff_max: float = 30.0,
        role: str = "model server",
        url_setting: str = "base_url",
        key_setting: str = "api_key_env",
    ) -> None:
        import openai

        if not base_url:
            raise ConfigError(f"{url_setting} is empty; give the URL of an OpenAI-compatible server, e.g. http://host:8000/v1.")
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
                    f"Set {api_key_env} to your key, or set {key_setting} to the variable that holds it.",
                )
            key = NO_KEY
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.role = role
        self.url_setting = url_setting
        self._secrets = [key] if key != NO_KEY and len(key) >= 4 else []
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout, max_retries=0)

    @property
    def openai(self) -> Any:
        """The underlying ``openai.OpenAI`` client (no retries of its own: use :meth:`call`)."""
        return self._client

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` (one request to the server) with bounded retries.

        Args:
            fn: makes one request through :attr:`openai`; may raise openai's
                errors (retried as the class says) or a :class:`DrafterError`
                (passed through at once).
            *args: passed to ``fn``.

        Returns:
            What ``fn`` returns.

        Raises:
            ModelError: the server kept failing, or refused the request.
        """
        import openai
        from tenacity import Retrying, retry_if_exception, stop_after_attempt

        tries = self.max_retries + 1

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
            return retrying(fn, *args)
        except (_EmptyReply, _StreamBroken, _NotAChatReply, openai.OpenAIError) as exc:
            raise self._error(exc, tries) from None

    def _wait(self, state: Any) -> float:
        import openai

        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, openai.APIStatusError):
            with contextlib.suppress(TypeError, ValueError):
                return min(float(exc.response.headers.get("retry-after")), self.backoff_max)
        base = min(self.backoff * 2 ** (state.attempt_number - 1), self.backoff_max)
        return base + random.uniform(0, base * 0.1)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return re.sub(r"\bsk-[A-Za-z0-9_\-*]{6,}", "sk-***", text)

    def _error(self, exc: BaseException, tries: int) -> ModelError:
        import openai

        where = f"The {self.role} at {self.base_url}"
        n = f"{tries} {'try' if tries == 1 else 'tries'}"
        if isinstance(exc, _EmptyReply):
            msg, hint = f"{where} returned an empty reply ({n}).", "Check the prompt and the server log, or try another model."
        elif isinstance(exc, _NotAChatReply):
            msg = f"{where} answered HTTP 200 with {exc}, not an OpenAI chat completion."
            hint = f"Check {self.url_setting}: it must be the server's OpenAI-compatible API, ending in /v1 (not a web page, a login portal or a proxy)."
        elif isinstance(exc, openai.APITimeoutError) or (isinstance(exc, _StreamBroken) and exc.timed_out):
            msg = f"{where} did not answer within {self.timeout:.0f} s ({n})."
            hint = "Raise the timeout setting (DRAFTER_TIMEOUT), ask for fewer tokens, or check that the server is not overloaded."
        elif isinstance(exc, openai.APIConnectionError):
            msg = f"Cannot connect to the {self.role} at {self.base_url} ({n})."
            hint = f"Check that the server is running and that {self.url_setting} is right."
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
            hint = f"Check the model name and that {self.url_setting} ends with /v1."
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
