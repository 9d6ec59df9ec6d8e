"""OpenAIClient, CachedClient, FakeLLM and open_client against a scripted local HTTP server.

openai>=3 talks through ``httpx2``, which pytest-httpx does not patch, so the
faults are served by a real ``http.server`` on 127.0.0.1 in a thread
(:class:`fake_servers.ChatServer` with scripted responses).
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import fake_servers
import pytest
from fake_servers import ChatServer, chat_body

from drafter.config import Settings
from drafter.errors import ConfigError, ModelError
from drafter.llm.client import CachedClient, Completion, OpenAIClient, open_client
from drafter.testing import FakeLLM

SECRET = "sk-test-SECRET-0123456789abcdef"
MSGS = [{"role": "system", "content": "你是政府工作报告的起草助手。"}, {"role": "user", "content": "写一句开头。"}]


def sse_chunks(pieces: list[str], usage: bool = True) -> list[dict[str, Any]]:
    """A streamed reply of ``pieces``, with the server's usage (7 prompt tokens) unless ``usage`` is False."""
    counts = {"prompt_tokens": 7, "completion_tokens": len(pieces), "total_tokens": 7 + len(pieces)}
    return fake_servers.sse_chunks(pieces, counts if usage else None)


@pytest.fixture
def server():
    with ChatServer() as srv:
        yield srv


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    return "TEST_LLM_KEY"


def make_client(server: ChatServer, key_env: str | None = None, **kw: Any) -> OpenAIClient:
    kw.setdefault("max_retries", 3)
    kw.setdefault("timeout", 5)
    return OpenAIClient(server.base_url, "qwen-test", api_key_env=key_env, backoff=0.01, backoff_max=0.05, **kw)


def ask(client: Any, **kw: Any) -> Completion:
    return client.complete(MSGS, max_tokens=kw.pop("max_tokens", 64), temperature=kw.pop("temperature", 0.3), **kw)


# ---------------------------------------------------------------- OpenAIClient


def test_success_sends_key_model_and_options(server, key_env):
    server.add(json=chat_body("各位代表：现在，我代表区人民政府作工作报告。"))
    client = make_client(server, key_env, seed=7)
    reply = ask(client, response_format={"type": "json_object"}, grammar='root ::= "x"')
    assert reply.text.startswith("各位代表")
    assert (reply.finish_reason, reply.prompt_tokens, reply.completion_tokens, reply.cached) == ("stop", 12, 5, False)
    assert reply.latency > 0
    assert server.paths[0] == "/v1/chat/completions"
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
    body = server.requests[0]
    assert body["model"] == "qwen-test" and body["messages"] == MSGS and body["seed"] == 7
    assert body["max_tokens"] == 64 and body["temperature"] == 0.3
    assert body["response_format"] == {"type": "json_object"} and body["grammar"] == 'root ::= "x"'
    assert SECRET not in repr(client)


def test_429_then_success(server):
    server.add(status=429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "0"})
    server.add(json=chat_body("好"))
    assert ask(make_client(server)).text == "好"
    assert len(server.requests) == 2


def test_500_every_time_gives_model_error_after_bounded_retries(server, key_env):
    for _ in range(3):
        server.add(status=500, json={"error": {"message": f"boom, key was {SECRET}"}})
    with pytest.raises(ModelError) as err:
        ask(make_client(server, key_env, max_retries=2))
    assert len(server.requests) == 3
    msg = str(err.value)
    assert server.base_url in msg and "HTTP 500" in msg and "3 tries" in msg
    assert SECRET not in msg


def test_timeout_is_retried_then_reported(server):
    server.add(sleep=1.5, json=chat_body("迟到"))
    server.add(sleep=1.5, json=chat_body("迟到"))
    with pytest.raises(ModelError, match="did not answer within"):
        ask(make_client(server, max_retries=1, timeout=0.3))
    assert len(server.requests) == 2


def test_timeout_then_success(server):
    server.add(sleep=1.5, json=chat_body("迟到"))
    server.add(json=chat_body("准时"))
    assert ask(make_client(server, timeout=0.5)).text == "准时"


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = OpenAIClient(f"http://127.0.0.1:{port}/v1", "m", api_key_env=None, max_retries=1, backoff=0.01)
    with pytest.raises(ModelError, match=f"Cannot connect to the model server at http://127.0.0.1:{port}/v1"):
        ask(client)


def test_empty_completion_is_retried(server):
    server.add(json=chat_body(""))
    server.add(json=chat_body("  \n"))
    server.add(json=chat_body("有内容"))
    assert ask(make_client(server)).text == "有内容"
    assert len(server.requests) == 3


def test_empty_completion_every_time(server):
    for _ in range(2):
        server.add(json=chat_body(""))
    with pytest.raises(ModelError, match="empty reply"):
        ask(make_client(server, max_retries=1))


def test_truncated_completion_is_returned_with_its_reason(server):
    server.add(json=chat_body("一二三", finish="length"))
    reply = ask(make_client(server), max_tokens=3)
    assert (reply.text, reply.finish_reason) == ("一二三", "length")
    assert len(server.requests) == 1


def test_bad_request_is_not_retried(server):
    server.add(status=400, json={"error": {"message": "context too long"}})
    with pytest.raises(ModelError, match="HTTP 400: context too long"):
        ask(make_client(server))
    assert len(server.requests) == 1


def test_auth_error_names_the_variable_not_the_key(server, key_env):
    server.add(status=401, json={"error": {"message": f"Incorrect API key provided: {SECRET}"}})
    with pytest.raises(ModelError) as err:
        ask(make_client(server, key_env))
    assert "$TEST_LLM_KEY" in str(err.value)
    assert SECRET not in str(err.value) and SECRET[:12] not in str(err.value)
    assert len(server.requests) == 1


def test_streaming_accumulates_and_reports_usage(server):
    server.add(sse=sse_chunks(["各位", "代表", "：现在"]))
    pieces: list[str] = []
    reply = ask(make_client(server), on_token=pieces.append)
    assert pieces == ["各位", "代表", "：现在"]
    assert (reply.text, reply.finish_reason, reply.prompt_tokens, reply.completion_tokens) == ("各位代表：现在", "stop", 7, 3)
    assert server.requests[0]["stream"] is True


def test_stream_stalling_midway_is_retried_then_reported(server):
    server.add(sse=sse_chunks(["各位"])[:1], stall=2)
    server.add(sse=sse_chunks(["各位", "代表"]))
    pieces: list[str] = []
    assert ask(make_client(server, timeout=0.5), on_token=pieces.append).text == "各位代表"
    assert pieces == ["各位", "各位", "代表"]  # the broken try's pieces were already passed on
    server.add(sse=sse_chunks(["各位"])[:1], stall=2)
    with pytest.raises(ModelError, match="did not answer within"):
        ask(make_client(server, timeout=0.5, max_retries=0), on_token=pieces.append)


def test_streaming_without_usage_counts_chunks(server):
    server.add(sse=sse_chunks(["一", "二"], usage=False))
    reply = ask(make_client(server), on_token=lambda _: None)
    assert (reply.text, reply.completion_tokens, reply.prompt_tokens) == ("一二", 2, 0)


def test_remote_server_without_key_is_a_config_error(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(ConfigError, match="NO_SUCH_KEY_VAR"):
        OpenAIClient("https://api.example.com/v1", "m", api_key_env="NO_SUCH_KEY_VAR")
    # on this machine a placeholder key is fine
    OpenAIClient("http://localhost:9/v1", "m", api_key_env="NO_SUCH_KEY_VAR")


def test_missing_model_name_is_a_config_error():
    with pytest.raises(ConfigError, match="model"):
        OpenAIClient("http://127.0.0.1:9/v1", "")


# ---------------------------------------------------------------- CachedClient


def test_cache_hit_makes_no_request(server, key_env, tmp_path):
    server.add(json=chat_body("缓存的回答"))
    cached = CachedClient(make_client(server, key_env), tmp_path)
    first = ask(cached)
    second = ask(cached)
    assert first.text == second.text == "缓存的回答"
    assert (first.cached, second.cached) == (False, True)
    assert (cached.hits, cached.misses, cached.calls) == (1, 1, 1)
    assert len(server.requests) == 1
    # a different parameter is a different key
    server.add(json=chat_body("另一个"))
    assert ask(cached, temperature=0.9).text == "另一个"
    assert cached.calls == 2


def test_cache_files_and_keys_never_hold_the_key(server, key_env, tmp_path):
    server.add(json=chat_body("答"))
    client = make_client(server, key_env)
    cached = CachedClient(client, tmp_path)
    ask(cached)
    files = list((tmp_path / "replies").rglob("*.json"))
    assert len(files) == 1
    assert SECRET not in files[0].read_text(encoding="utf-8")
    record = cached.request_record(MSGS, 64, 0.3, None, None)
    assert SECRET not in json.dumps(record)
    assert "timeout" not in record
    # the timeout does not change the key
    other = CachedClient(make_client(server, key_env, timeout=99), tmp_path)
    assert ask(other).cached is True


def test_cache_streams_hit_text_to_on_token(tmp_path):
    fake = FakeLLM(["一段话"])
    cached = CachedClient(fake, tmp_path)
    ask(cached)
    got: list[str] = []
    assert ask(cached, on_token=got.append).cached
    assert "".join(got) == "一段话"


def test_cache_key_depends_on_seed_and_grammar(tmp_path):
    fake = FakeLLM(default="x")
    cached = CachedClient(fake, tmp_path)
    ask(cached)
    ask(cached, grammar="root ::= [a-z]+")
    fake.seed = 1
    ask(cached)
    assert cached.calls == 3 and cached.hits == 0


def test_cache_is_safe_with_concurrent_threads(tmp_path):
    fake = FakeLLM(default=lambda m: "并发" + m[-1]["content"])
    cached = CachedClient(fake, tmp_path)

    def work(i: int) -> None:
        for j in range(20):
            cached.complete([{"role": "user", "content": str(j % 5)}], max_tokens=5, temperature=0)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cached.hits + cached.misses == 120
    assert len(list((tmp_path / "replies").rglob("*.json"))) == 5
    assert not list((tmp_path / "replies").rglob("*.tmp"))


def test_cache_ignores_a_damaged_entry(tmp_path):
    cached = CachedClient(FakeLLM(["甲", "乙"]), tmp_path)
    ask(cached)
    entry = next((tmp_path / "replies").rglob("*.json"))
    entry.write_text("{not json", encoding="utf-8")
    assert ask(cached).text == "乙"
    assert ask(cached).cached


def test_errors_are_not_cached(tmp_path):
    cached = CachedClient(FakeLLM([ModelError("down"), "好了"]), tmp_path)
    with pytest.raises(ModelError):
        ask(cached)
    assert ask(cached).text == "好了"
    assert cached.calls == 2


# ---------------------------------------------------------------- FakeLLM


def test_fake_llm_serves_in_order_and_records():
    fake = FakeLLM()
    fake.enqueue("一")
    fake.enqueue(lambda messages: "回声：" + messages[-1]["content"])
    fake.enqueue(Completion("截断", finish_reason="length"))
    fake.enqueue(ModelError("模拟故障"))
    assert ask(fake).text == "一"
    assert ask(fake).text == "回声：写一句开头。"
    assert ask(fake).finish_reason == "length"
    with pytest.raises(ModelError, match="模拟故障"):
        ask(fake)
    with pytest.raises(AssertionError, match="no reply enqueued"):
        ask(fake)
    assert len(fake.requests) == 5 and fake.requests[0]["messages"] == MSGS


# ---------------------------------------------------------------- open_client


def test_open_client_with_base_url(server, monkeypatch, tmp_path):
    monkeypatch.setenv("DRAFTER_HOME", str(tmp_path))
    server.add(json=chat_body("远端"))
    settings = Settings(base_url=server.base_url, model="qwen-test", api_key_env="NO_SUCH_KEY_VAR")
    with open_client(settings, cache=True) as llm:
        assert isinstance(llm, CachedClient)
        assert ask(llm).text == "远端"
        assert ask(llm).cached
    assert list(Path(tmp_path, "cache", "replies").rglob("*.json"))
