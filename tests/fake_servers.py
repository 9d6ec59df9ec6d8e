"""Real local OpenAI-compatible servers for tests and benchmarks, in a thread: embeddings and chat.

Vectors are deterministic (hashed character bigrams), so a text always gets
the same vector whatever batch it comes in. Faults are scripted per request:
an HTTP status, a delay, another dimension, per-token vectors, too few rows.
The chat server answers with a function of the messages or with scripted
responses (a status, a body, a stream that stalls midway). Each server keeps
every request's body, headers and path, and the most requests it had in flight
at once.
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


class _Server:
    """An HTTP server on 127.0.0.1 in a daemon thread that records requests; subclasses answer POSTs in :meth:`answer`.

    Attributes:
        requests: every POST body received (JSON).
        headers: every POST's headers, names in lower case.
        paths: every POST's path.
        max_in_flight: the most requests being answered at once.
        base_url: ``http://127.0.0.1:PORT/v1``.
    """

    model_id = "m"
    """The model ``GET /v1/models`` lists."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                send_json(self, 200, {"object": "list", "data": [{"id": outer.model_id, "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer._lock:
                    outer.requests.append(body)
                    outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                    outer.paths.append(self.path)
                    outer._in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer._in_flight)
                try:
                    outer.answer(self, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with outer._lock:
                        outer._in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        """Send the reply to one POST (``body`` is its JSON)."""
        raise NotImplementedError

    @property
    def calls(self) -> int:
        """Requests answered so far."""
        return len(self.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    """Send ``payload`` as a JSON response with ``status`` and extra ``headers``."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(data)


class EmbeddingServer(_Server):
    """Serves ``POST /v1/embeddings`` on 127.0.0.1 (any path ending in /embeddings).

    Args:
        dim: vector size of normal replies.
        delay: seconds each request takes (a GPU box's compute and network time).

    Attributes:
        faults: queue of dicts applied to the next requests, one each:
            ``status`` (HTTP error, with ``headers``), ``sleep`` seconds,
            ``dim`` (another size), ``mixed`` (rows of two sizes), ``per_token``,
            ``drop`` (one row too few).
    """

    def __init__(self, dim: int = 32, delay: float = 0.0) -> None:
        self.dim = dim
        self.delay = delay
        self.faults: list[dict[str, Any]] = []
        super().__init__()

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            fault = self.faults.pop(0) if self.faults else {}
        time.sleep(fault.get("sleep", self.delay))
        if "status" in fault:
            send_json(handler, fault["status"], {"error": {"message": fault.get("message", "scripted fault")}}, fault.get("headers", {}))
            return
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dim = fault.get("dim", self.dim)
        rows = []
        for i, t in enumerate(texts):
            d = dim + 1 if fault.get("mixed") and i % 2 else dim
            rows.append([vector(t, d)] * 2 if fault.get("per_token") else vector(t, d))
        if fault.get("drop"):
            rows = rows[:-1]
        send_json(handler, 200, {
            "object": "list", "model": body.get("model"),
            "data": [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)],
            "usage": {"prompt_tokens": sum(len(t) for t in texts), "total_tokens": sum(len(t) for t in texts)},
        })

    def texts_embedded(self) -> int:
        """Texts received over all requests."""
        return sum(len(r["input"]) if isinstance(r["input"], list) else 1 for r in self.requests)


def chat_body(text: str, finish: str = "stop", prompt_tokens: int = 12, completion_tokens: int = 5, model: str = "m") -> dict[str, Any]:
    """A whole ``chat.completion`` reply carrying ``text``."""
    return {
        "id": "x", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def sse_chunks(pieces: list[str], usage: dict[str, int] | None = None, model: str = "m") -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` events of a streamed reply: one per piece, the finish, then ``usage`` if given."""
    out = [{"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
            "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in pieces]
    out.append({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage is not None:
        out.append({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [], "usage": usage})
    return out


class ChatServer(_Server):
    """An OpenAI-compatible chat server: ``POST /v1/chat/completions``.

    A request is answered by the first scripted response queued with
    :meth:`add`, else by ``reply(messages)`` (streamed as server-sent events
    when the request asks for it), else with HTTP 599 "no response queued".

    Args:
        reply: ``reply(messages) -> str``, e.g. ``tests/test_drafting.json_writer``; None: scripted responses only.
    """

    model_id = "fake"

    def __init__(self, reply: Any = None) -> None:
        self.reply = reply
        self.responses: list[dict[str, Any]] = []
        super().__init__()

    def add(self, **response: Any) -> None:
        """Queue a scripted response: ``status`` (200), ``json`` body, ``headers``, ``sleep``
        seconds before answering, or ``sse`` (chunk dicts, see :func:`sse_chunks`) with
        ``stall`` seconds to wait instead of ending the stream."""
        with self._lock:
            self.responses.append(response)

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            scripted = self.responses.pop(0) if self.responses else None
        if scripted is not None:
            self._scripted(handler, scripted)
            return
        if self.reply is None:
            send_json(handler, 599, {"error": "no response queued"})
            return
        text = self.reply(body["messages"])
        usage = {"prompt_tokens": 10, "completion_tokens": len(text), "total_tokens": 10 + len(text)}
        if body.get("stream"):
            chunks = sse_chunks([text[i:i + 8] for i in range(0, len(text), 8)], usage, model="fake")
            payload = ("".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        send_json(handler, 200, chat_body(text, prompt_tokens=10, completion_tokens=len(text), model="fake"))

    @staticmethod
    def _scripted(handler: BaseHTTPRequestHandler, r: dict[str, Any]) -> None:
        if r.get("sleep"):
            time.sleep(r["sleep"])
        if "sse" not in r:
            send_json(handler, r.get("status", 200), r.get("json", {}), r.get("headers", {}))
            return
        handler.send_response(200)  # a stream of unknown length: it ends when the connection closes
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        for chunk in r["sse"]:
            handler.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            handler.wfile.flush()
        if r.get("stall"):  # stop sending midway, keep the connection open
            time.sleep(r["stall"])
            return
        handler.wfile.write(b"data: [DONE]\n\n")
