"""Run the page's app on a free loopback port in a thread (tests and benchmarks).

Example::

    from drafter.web.app import create_app
    from drafter.web.live import running

    with running(create_app(llm=FakeLLM(default="…"))) as url:
        httpx.get(url + "api/status")
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def running(app: Any, host: str = "127.0.0.1", timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on ``host`` and a free port until the block ends.

    Args:
        app: an ASGI app (e.g. :func:`drafter.web.app.create_app`).
        host: loopback address to bind.
        timeout: seconds to wait for the server to start and to stop.

    Yields:
        The base URL, ``http://127.0.0.1:PORT/``.

    Raises:
        RuntimeError: the server did not start in time.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="drafter-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("The page's server did not start.")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
