"""The reply cache: a client wrapper keeping every reply on disk, keyed on everything that shapes it.

Same request, same reply, across runs and processes (an eval run that is
repeated asks the model nothing). The key never holds the API key or the timeout.
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
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from drafter.llm.interface import Completion, LLMClient, Message

__all__ = ["CachedClient"]

log = logging.getLogger(__name__)


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
