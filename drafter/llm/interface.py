"""The client interface: what every model client is (:class:`LLMClient`) and what it returns (:class:`Completion`).

Everything that needs a model takes an :class:`LLMClient`, whose one required
method is :meth:`LLMClient.complete`. The clients are
:class:`~drafter.llm.openai_client.OpenAIClient` (any OpenAI-compatible server,
the embedded one included), :class:`~drafter.llm.cache.CachedClient` (the reply
cache over another client), :class:`~drafter.llm.client.LazyClient` and, for
tests, :class:`drafter.testing.FakeLLM`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Completion", "LLMClient", "Message"]

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
