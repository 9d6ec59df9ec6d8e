"""The client of any OpenAI-compatible chat server: one request, streamed or whole, with bounded retries.

Key handling, retries and error messages live in
:class:`drafter.llm.endpoint.OpenAIEndpoint`, shared with the embedding-server
embedder; this module turns a chat request into the server's body and its reply
(a JSON body or a stream of server-sent events) into a :class:`~drafter.llm.interface.Completion`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drafter.llm.endpoint import OpenAIEndpoint, _chat_json, _EmptyReply, _StreamBroken, _transport_errors
from drafter.llm.interface import Completion, LLMClient, Message

__all__ = ["OpenAIClient"]


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
