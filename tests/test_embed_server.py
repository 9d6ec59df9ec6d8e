"""``--embedder openai:MODEL``: an embedding server speaking OpenAI's /v1/embeddings.

Faults run against a real HTTP server in a thread (``tests/fake_servers.py``:
500s, 429, timeouts, another dimension, per-token vectors, missing rows); the
``slow`` test runs llama-cpp-python's own server with ``--embedding`` on the
bundled small GGUF (``drafter.llm.localmodel.embedding_server``) and drives the CLI
against it in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from drafter.api import Drafter
from drafter.cli.main import app, main
from drafter.config import load_settings
from drafter.index.embeddings import HashEmbedder, OpenAIEmbedder, get_embedder
from drafter.errors import ConfigError, ModelError, StoreError
from conftest import BUNDLED_CORPUS, REPO, SHARED_FILE
from fake_servers import EmbeddingServer, vector

runner = CliRunner()
TEXTS = [f"第{i}段：柳塘村新建改造农村公路，完善灌溉渠道，发展黄桃产业。{'村' * (i % 7)}" for i in range(150)]


@pytest.fixture
def server():
    with EmbeddingServer(dim=32) as srv:
        yield srv


def embedder(server: EmbeddingServer, **kw) -> OpenAIEmbedder:
    kw.setdefault("max_retries", 3)
    kw.setdefault("timeout", 5)
    return OpenAIEmbedder("bge-test", server.base_url, api_key_env=None, backoff=0.01, backoff_max=0.05, **kw)


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the console entry point in-process: (exit status, stdout + stderr)."""
    monkeypatch.setattr(sys, "argv", ["drafter", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


def unit(rows) -> np.ndarray:
    x = np.asarray(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ---------------------------------------------------------------- batching and concurrency


def test_batches_in_flight_keep_order(server):
    server.delay = 0.05
    emb = embedder(server, batch_size=16, concurrency=4)
    vecs = emb.embed(TEXTS)
    assert vecs.shape == (150, 32) and emb.dim == 32
    assert len(server.requests) == 10 and all(len(r["input"]) <= 16 for r in server.requests)
    assert server.max_in_flight >= 2, "batches were sent one after the other"
    np.testing.assert_allclose(vecs, unit([vector(t, 32) for t in TEXTS]), rtol=1e-5, atol=1e-6)
    assert all(r["model"] == "bge-test" and r["encoding_format"] == "float" for r in server.requests)


def test_one_in_flight_when_asked(server):
    server.delay = 0.02
    embedder(server, batch_size=16, concurrency=1).embed(TEXTS)
    assert server.max_in_flight == 1 and len(server.requests) == 10


def test_ingest_gathers_files_into_full_batches(server, tmp_path):
    """Ingest embeds the new chunks of several files together, not one small request per file."""
    emb = embedder(server, batch_size=64, concurrency=4)
    d = Drafter(store=tmp_path / "store", embedder=emb)
    rep = d.ingest([BUNDLED_CORPUS])
    assert rep.added > 100
    assert len(server.requests) <= rep.added // 64 + 4 + 1  # +1: the dimension probe when the store is made
    assert server.texts_embedded() == rep.added + 1
    hits = d.search("农村公路建设", k=3, mode="dense")
    assert len(hits) == 3
    seen = server.texts_embedded()  # the query was embedded too
    again = d.ingest([BUNDLED_CORPUS])
    assert again.added == 0 and server.texts_embedded() == seen  # nothing re-embedded


# ---------------------------------------------------------------- faults


def test_500s_are_retried_then_succeed(server):
    server.faults = [{"status": 500}, {"status": 503}]
    vecs = embedder(server).embed(TEXTS[:3])
    assert vecs.shape == (3, 32) and len(server.requests) == 3


def test_500_every_time_is_one_clear_error_after_bounded_tries(server):
    server.faults = [{"status": 500, "message": "CUDA out of memory"}] * 10
    with pytest.raises(ModelError) as err:
        embedder(server, max_retries=2).embed(TEXTS[:3])
    msg = str(err.value)
    assert "embedding server at " + server.base_url in msg and "HTTP 500" in msg and "3 tries" in msg
    assert "CUDA out of memory" in msg
    assert len(server.requests) == 3


def test_429_with_retry_after_is_retried(server):
    server.faults = [{"status": 429, "headers": {"Retry-After": "0.01"}}]
    assert embedder(server).embed(TEXTS[:2]).shape == (2, 32)
    assert len(server.requests) == 2


def test_timeout_is_retried_then_reported(server):
    server.faults = [{"sleep": 1.5}] * 3
    t0 = time.monotonic()
    with pytest.raises(ModelError) as err:
        embedder(server, timeout=0.3, max_retries=1).embed(TEXTS[:2])
    assert "did not answer within" in str(err.value) and "2 tries" in str(err.value)
    assert time.monotonic() - t0 < 3


def test_a_slow_batch_among_many_does_not_lose_order(server):
    server.faults = [{"sleep": 0.3}]  # the first batch answers last
    emb = embedder(server, batch_size=10, concurrency=4)
    np.testing.assert_allclose(emb.embed(TEXTS[:40]), unit([vector(t, 32) for t in TEXTS[:40]]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fault, words", [
    ({"mixed": True}, "sizes"),
    ({"drop": True}, "vector(s) for"),
    ({"per_token": True}, "one vector per token"),
])
def test_unusable_replies_are_errors_not_vectors(server, fault, words):
    server.faults = [fault]
    with pytest.raises(ModelError) as err:
        embedder(server).embed(TEXTS[:4])
    assert words in str(err.value)
    assert len(server.requests) == 1  # not retried: the server is wrong, not busy


def test_dimension_changing_mid_run_is_refused(server):
    server.faults = [{}, {"dim": 16}]
    with pytest.raises(ModelError) as err:
        embedder(server, batch_size=2, concurrency=1).embed(TEXTS[:4])
    assert "16-dimensional vectors after 32-dimensional ones" in str(err.value)


def test_store_refuses_vectors_of_another_dimension(server, tmp_path):
    """Same model name, the server now serves another model: nothing is added, search is refused, store unchanged."""
    store = tmp_path / "store"
    d = Drafter(store=store, embedder=embedder(server))
    d.ingest([BUNDLED_CORPUS / "2023-baisha-town-report.txt"])
    count = d.store.count()
    assert d.store.collection().metadata["dim"] == 32

    server.dim = 48
    d2 = Drafter(store=store, embedder=embedder(server))
    with pytest.raises(StoreError) as err:
        d2.ingest([BUNDLED_CORPUS / "2024-zhuxi-village-summary.txt"])
    msg = str(err.value)
    assert "holds 32-dimensional vectors" in msg and "48-dimensional" in msg and "openai/bge-test" in msg
    with pytest.raises(StoreError):
        d2.search("农村公路", mode="dense")
    assert Drafter(store=store, embedder=embedder(server)).store.count() == count


def test_store_built_by_another_embedder_refuses_the_server(server, tmp_path, monkeypatch, capsys):
    store = tmp_path / "store"
    Drafter(store=store, embedder=HashEmbedder()).ingest([BUNDLED_CORPUS / "2023-baisha-town-report.txt"])
    code, out = run_main(monkeypatch, capsys, "search", "农村公路", "--store", str(store), "--embedder", "openai:bge-test",
                         "--embed-base-url", server.base_url)
    assert code == 2 and out.startswith("Error: ") and out.count("\n") == 1
    assert "built with the embedder 'hash/bigram-256', not 'openai/bge-test'" in out


# ---------------------------------------------------------------- settings and CLI


def test_openai_embedder_needs_a_url_and_a_name(monkeypatch):
    with pytest.raises(ConfigError, match="--embed-base-url"):
        get_embedder("openai:bge-m3")
    with pytest.raises(ConfigError, match="model name"):
        get_embedder("openai:", base_url="http://127.0.0.1:9/v1")
    monkeypatch.delenv("NO_SUCH_EMBED_KEY", raising=False)
    with pytest.raises(ConfigError) as err:
        get_embedder("openai:bge-m3", base_url="https://gpu.example.org/v1", api_key_env="NO_SUCH_EMBED_KEY")
    assert "NO_SUCH_EMBED_KEY" in str(err.value) and "embed_api_key_env" in str(err.value)


def test_key_is_read_from_the_named_variable(server, monkeypatch):
    monkeypatch.setenv("MY_EMBED_KEY", "sk-embed-SECRET-123456")
    OpenAIEmbedder("bge-test", server.base_url, api_key_env="MY_EMBED_KEY").embed(["一"])
    assert server.headers[0]["authorization"] == "Bearer sk-embed-SECRET-123456"


def test_settings_reach_the_embedder(server, monkeypatch, tmp_path):
    monkeypatch.setenv("DRAFTER_EMBEDDER", "openai:bge-test")
    monkeypatch.setenv("DRAFTER_EMBED_BASE_URL", server.base_url)
    monkeypatch.setenv("DRAFTER_EMBED_BATCH_SIZE", "8")
    monkeypatch.setenv("DRAFTER_EMBED_CONCURRENCY", "3")
    emb = Drafter(load_settings(store=tmp_path / "s")).store.embedder
    assert isinstance(emb, OpenAIEmbedder) and (emb.batch_size, emb.concurrency) == (8, 3)
    assert emb.endpoint.base_url == server.base_url


def test_cli_ingest_and_search_through_the_server(server, tmp_path):
    store = str(tmp_path / "store")
    flags = ["--store", store, "--embedder", "openai:bge-test", "--embed-base-url", server.base_url]
    res = runner.invoke(app, ["ingest", str(BUNDLED_CORPUS), "--json", *flags])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)  # progress lines go to stderr
    assert rep["added"] == rep["total_chunks"] > 100
    res = runner.invoke(app, ["search", "黄桃产业", "--mode", "dense", "--json", *flags])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 5


def test_cli_unreachable_server_is_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DRAFTER_MAX_RETRIES", "0")
    code, out = run_main(monkeypatch, capsys, "ingest", str(SHARED_FILE), "--store", str(tmp_path / "s"),
                         "--embedder", "openai:bge-m3", "--embed-base-url", "http://127.0.0.1:9/v1")
    assert code == 2 and out.startswith("Error: Cannot connect to the embedding server at http://127.0.0.1:9/v1")
    assert "embed_base_url" in out and "Traceback" not in out
    assert not (tmp_path / "s" / "chroma").exists() or Drafter(store=tmp_path / "s", embedder=HashEmbedder()).store.count() == 0


# ---------------------------------------------------------------- a real llama.cpp server


@pytest.mark.slow
def test_real_llama_cpp_embedding_server(model_cache_dir, tmp_path):
    """llama-cpp-python's server with --embedding on the bundled 0.5B GGUF, driven through the CLI."""
    from drafter.llm.localmodel import embedding_server

    files = [str(BUNDLED_CORPUS / "2023-baisha-town-report.txt"), str(BUNDLED_CORPUS / "2024-zhuxi-village-summary.txt")]
    with embedding_server("qwen2.5-coder-0.5b", model_cache_dir) as srv:
        flags = ["--store", str(tmp_path / "store"), "--embedder", "openai:qwen2.5-coder-0.5b", "--embed-base-url", srv.base_url]
        cli = [sys.executable, "-m", "drafter.cli"]
        env = {"PYTHONPATH": str(REPO), "DRAFTER_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
               "DRAFTER_EMBED_CONCURRENCY": "2"}
        res = subprocess.run([*cli, "ingest", *files, "--json", *flags], capture_output=True, text=True, env=env, timeout=600)
        assert res.returncode == 0, res.stderr
        rep = json.loads(res.stdout)
        assert rep["added"] == rep["total_chunks"] >= 15
        res = subprocess.run([*cli, "search", "黄桃", "--mode", "dense", "--k", "3", "--json", *flags],
                             capture_output=True, text=True, env=env, timeout=300)
        assert res.returncode == 0, res.stderr
        assert len(json.loads(res.stdout)) == 3
        res = subprocess.run([*cli, "ingest", *files, "--json", *flags], capture_output=True, text=True, env=env, timeout=300)
        assert json.loads(res.stdout)["added"] == 0
        emb = OpenAIEmbedder("qwen2.5-coder-0.5b", srv.base_url, api_key_env=None)
        v = emb.embed(["柳塘村新建改造农村公路4.5公里。", "柳塘村新建改造农村公路4.5公里。", "存在的问题"])
        assert v.shape == (3, 896) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
        assert float(v[0] @ v[1]) > 0.999 and float(v[0] @ v[2]) < 0.999
        store = Drafter(store=tmp_path / "store", embedder=emb).store
        assert store.collection().metadata["dim"] == 896 == store.stored_dim()
