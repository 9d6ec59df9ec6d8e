"""Real local OpenAI-compatible servers for tests and benchmarks, in a thread: embeddings and chat.

Vectors are deterministic (hashed character bigrams), so a text always gets
the same vector whatever batch it comes in. Faults are scripted per request:
an HTTP status, a delay, another dimension, per-token vectors, too few rows.
The server counts requests and the most requests it had in flight at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np


def vector(text: str, dim: int) -> list[float]:
    """The deterministic vector of ``text`` (character bigrams hashed into ``dim`` buckets)."""
    out = np.zeros(dim, dtype=np.float64)
    for a, b in zip(text, text[1:] + " "):
        h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
        out[h % dim] += 1.0
    return out.tolist()


class EmbeddingServer:
    """Serves ``POST /v1/embeddings`` on 127.0.0.1 (any path ending in /embeddings).

    Args:
        dim: vector size of normal replies.
        delay: seconds each request takes (a GPU box's compute and network time).

    Attributes:
        faults: queue of dicts applied to the next requests, one each:
            ``status`` (HTTP error, with ``headers``), ``sleep`` seconds,
            ``dim`` (another size), ``mixed`` (rows of two sizes), ``per_token``,
            ``drop`` (one row too few).
        requests: every request body received (thread-safe append).
        max_in_flight: the most requests being answered at once.
    """

    def __init__(self, dim: int = 32, delay: float = 0.0) -> None:
        self.dim = dim
        self.delay = delay
        self.faults: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._send(200, {"object": "list", "data": [{"id": "m", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer._lock:
                    outer.requests.append(body)
                    outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                    fault = outer.faults.pop(0) if outer.faults else {}
                    outer._in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer._in_flight)
                try:
                    time.sleep(fault.get("sleep", outer.delay))
                    if "status" in fault:
                        self._send(fault["status"], {"error": {"message": fault.get("message", "scripted fault")}}, fault.get("headers", {}))
                        return
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    dim = fault.get("dim", outer.dim)
                    rows = []
                    for i, t in enumerate(texts):
                        d = dim + 1 if fault.get("mixed") and i % 2 else dim
                        rows.append([vector(t, d)] * 2 if fault.get("per_token") else vector(t, d))
                    if fault.get("drop"):
                        rows = rows[:-1]
                    self._send(200, {
                        "object": "list", "model": body.get("model"),
                        "data": [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)],
                        "usage": {"prompt_tokens": sum(len(t) for t in texts), "total_tokens": sum(len(t) for t in texts)},
                    })
                finally:
                    with outer._lock:
                        outer._in_flight -= 1

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def texts_embedded(self) -> int:
        """Texts received over all requests."""
        return sum(len(r["input"]) if isinstance(r["input"], list) else 1 for r in self.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "EmbeddingServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ChatServer:
    """A counting OpenAI-compatible chat server: ``POST /v1/chat/completions`` answered by ``reply(messages)``.

    Streams (SSE) when the request asks for it. ``calls`` counts the requests,
    ``requests`` keeps their bodies.

    Args:
        reply: ``reply(messages) -> str``, e.g. ``tests/test_drafting.json_writer``.
    """

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._send_json({"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer._lock:
                    outer.requests.append(body)
                text = outer.reply(body["messages"])
                usage = {"prompt_tokens": 10, "completion_tokens": len(text), "total_tokens": 10 + len(text)}
                if body.get("stream"):
                    chunks = [{"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                               "choices": [{"index": 0, "delta": {"content": text[i:i + 8]}, "finish_reason": None}]}
                              for i in range(0, len(text), 8)]
                    chunks.append({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                    chunks.append({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                                   "choices": [], "usage": usage})
                    data = "".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks) + "data: [DONE]\n\n"
                    payload = data.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self._send_json({"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                                 "usage": usage})

            def _send_json(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def calls(self) -> int:
        """Requests answered so far."""
        return len(self.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ChatServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
