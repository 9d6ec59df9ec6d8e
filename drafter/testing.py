"""Test helpers: a scripted fake LLM, and a big corpus file for ingest tests and benchmarks.

Example::

    llm = FakeLLM()
    llm.enqueue("第一段。")
    llm.enqueue(lambda messages: "回声：" + messages[-1]["content"])
    llm.enqueue(ModelError("server down"))          # raised on the third call
    llm.enqueue(Completion("截断", finish_reason="length"))
    reply = llm.complete([{"role": "user", "content": "写"}], max_tokens=50, temperature=0)
    assert llm.requests[0]["messages"][0]["content"] == "写"
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Union

from drafter.llm.client import Completion, LLMClient, Message

Reply = Union[str, Completion, BaseException, Callable[[list[Message]], "str | Completion"]]
"""What :meth:`FakeLLM.enqueue` takes: text, a Completion, an exception to raise,
or a callable receiving the messages and returning text or a Completion."""


class FakeLLM(LLMClient):
    """An :class:`~drafter.llm.client.LLMClient` serving canned replies in order.

    Each call to :meth:`complete` records its arguments in :attr:`requests`
    and consumes the next enqueued reply. When the queue is empty the
    ``default`` reply is used, or an ``AssertionError`` is raised if there is none.

    Args:
        replies: replies to enqueue at once.
        default: reply used when the queue is empty (same forms as :meth:`enqueue`).
        model: model name reported (and used in cache keys).

    Attributes:
        requests: one dict per call: messages, max_tokens, temperature,
            response_format, grammar, streamed (bool).
    """

    def __init__(self, replies: list[Reply] | None = None, *, default: Reply | None = None,
                 model: str = "fake") -> None:
        self.identity = "fake://llm"
        self.model = model
        self.seed = None
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self._queue: deque[Reply] = deque(replies or [])
        self._lock = threading.Lock()

    def enqueue(self, reply: Reply) -> None:
        """Add one reply: text, a Completion, an exception instance, or ``f(messages) -> text``."""
        with self._lock:
            self._queue.append(reply)

    @property
    def pending(self) -> int:
        """Replies still queued."""
        return len(self._queue)

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
        """Record the request and serve the next reply (see the class)."""
        with self._lock:
            self.requests.append({
                "messages": messages, "max_tokens": max_tokens, "temperature": temperature,
                "response_format": response_format, "grammar": grammar, "streamed": on_token is not None,
            })
            if self._queue:
                reply = self._queue.popleft()
            elif self.default is not None:
                reply = self.default
            else:
                raise AssertionError(f"FakeLLM: no reply enqueued for request #{len(self.requests)}.")
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply) and not isinstance(reply, Completion):
            reply = reply(messages)
        if isinstance(reply, Completion):
            comp = replace(reply)
        else:
            text = str(reply)
            comp = Completion(text=text, finish_reason="stop",
                              prompt_tokens=sum(len(str(m.get("content", ""))) for m in messages),
                              completion_tokens=len(text))
        if on_token is not None:
            for i in range(0, len(comp.text), 4):
                on_token(comp.text[i:i + 4])
        return comp


def big_report_file(path: str | Path, megabytes: float, sources: Path | None = None) -> Path:
    """Write one large corpus file (an office's 汇编 of many years' reports) of about ``megabytes`` MB.

    The reports of the bundled ``corpus/`` (or ``sources``, a folder of .txt
    reports) are repeated, every number shifted by the repetition's index, so
    that no two chunks are equal (chunk ids are content hashes). UTF-8.

    Args:
        path: the file to write (its folder must exist).
        megabytes: target size in MB (10^6 bytes).
        sources: folder of UTF-8 .txt reports; default the bundled corpus.

    Returns:
        ``path``.
    """
    import re

    from drafter.config import REPO_ROOT

    folder = Path(sources) if sources else REPO_ROOT / "corpus"
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    parts, size, i = [], 0, 0
    while size < megabytes * 1e6:
        text = re.sub(r"\d+", lambda m, k=i: str(int(m.group()) + k), texts[i % len(texts)])
        parts.append(text + "\n\n")
        size += len(parts[-1].encode("utf-8"))
        i += 1
    Path(path).write_text("".join(parts), encoding="utf-8")
    return Path(path)
