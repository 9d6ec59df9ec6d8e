"""The Python API (drafter.api.Drafter): per-call overrides as settings, a client per call, and one
Drafter shared by threads (ingest once, the store's sources kept until the next ingest)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from drafter.api import Drafter
from drafter.config import load_settings
from drafter.errors import ConfigError
from drafter.figures import load_figures
from drafter.index.embeddings import HashEmbedder
from drafter.testing import FakeLLM
from conftest import BUNDLED_CORPUS
from test_drafting import json_writer

EXAMPLE = BUNDLED_CORPUS / "figures-example.yaml"
SMALL_CORPUS = Path(__file__).parent / "data" / "eval" / "corpus"


@pytest.fixture
def corpus(tmp_path):
    """A copy of the eval tests' one-report corpus, free to change."""
    return Path(shutil.copytree(SMALL_CORPUS, tmp_path / "corpus"))


def _drafter(tmp_path, llm=None):
    return Drafter(llm=llm or FakeLLM(default=json_writer), embedder=HashEmbedder(), store=tmp_path / "store",
                   strategy="compose")


@pytest.mark.parametrize("override, message", [
    ({"stratgy": "compose"}, "unknown setting 'stratgy'. Known: store"),
    ({"script": "cyrillic"}, "setting 'script'"),
    ({"lengths": {"work": 0}}, "setting 'lengths.work'"),
    ({"lengths": {"appendix": 800}}, "unknown section kind 'appendix'"),
    ({"lengths": "work=many"}, "'work=many' is not kind=characters"),
    ({"temperature": 9}, "setting 'temperature'"),
    ({"store": "/elsewhere"}, "setting 'store' is the Drafter's store's"),
])
def test_a_bad_override_is_a_config_error_naming_it_before_any_call(tmp_path, override, message):
    llm = FakeLLM(default=json_writer)
    d = _drafter(tmp_path, llm)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        d.write(load_figures(EXAMPLE), sections=["work"], **override)
    assert llm.requests == []


def test_overrides_hold_for_one_call_and_none_means_the_drafters_setting(tmp_path):
    d = _drafter(tmp_path)
    fs = load_figures(EXAMPLE)
    short = d.write(fs, sections=["work"], lengths={"工作开展情况": 600}, script="traditional", strategy=None)
    assert short.sections[0].target == 600 and short.script == "traditional" and short.sections[0].strategy == "compose"
    again = d.write(fs, sections=["work"])
    assert again.sections[0].target != 600 and again.script == "simplified"
    assert d.settings.lengths == {} and d.settings.script == "simplified"


def test_lengths_setting_reads_the_length_flag_form_from_the_environment(monkeypatch):
    monkeypatch.setenv("DRAFTER_LENGTHS", "work=900,next_steps=300")
    assert load_settings().lengths == {"work": 900, "next_steps": 300}
    monkeypatch.setenv("DRAFTER_LENGTHS", "work=-1")
    with pytest.raises(ConfigError, match="DRAFTER_LENGTHS='work=-1': setting 'lengths'"):
        load_settings()


def test_a_client_given_per_call_drafts_instead_of_the_drafters(tmp_path):
    own, other = FakeLLM(default=json_writer), FakeLLM(default=json_writer)
    d = _drafter(tmp_path, own)
    draft = d.write(load_figures(EXAMPLE), sections=["work"], llm=other)
    assert draft.sections[0].body and other.requests and own.requests == []


def test_write_ingests_a_corpus_once_until_its_files_change(tmp_path, corpus):
    d = _drafter(tmp_path)
    events: list[str] = []
    fs = load_figures(EXAMPLE)

    def on_event(name, payload):
        events.append(name)

    d.write(fs, sections=["work"], corpus=[corpus], on_event=on_event)
    assert "ingest" in events
    first = d.sources_under([corpus])
    assert first and all(s.startswith(str(corpus.resolve())) for s in first)
    events.clear()
    d.write(fs, sections=["work"], corpus=[corpus], on_event=on_event)
    assert "ingest" not in events  # nothing changed on disk since this Drafter read it
    added = corpus / "2024-another-report.txt"
    added.write_text((next(corpus.glob("*.txt"))).read_text(encoding="utf-8").replace("2025", "2024"), encoding="utf-8")
    d.write(fs, sections=["work"], corpus=[corpus], on_event=on_event)
    assert "ingest" in events  # a new file: read, and the source list read again
    assert str(added.resolve()) in d.sources_under([corpus]) and len(d.sources_under([corpus])) == len(first) + 1


def test_threads_share_one_drafter(tmp_path, corpus):
    d = _drafter(tmp_path)
    fs = load_figures(EXAMPLE)
    ingests: list[str] = []
    drafts, errors = [], []

    def one() -> None:
        try:
            drafts.append(d.write(fs, sections=["work"], corpus=[corpus],
                                  on_event=lambda name, p: ingests.append(p.stage) if name == "ingest" else None))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(drafts) == 3
    assert ingests.count("reading") == len(list(corpus.glob("*.txt")))  # one ingest among the three calls
    assert len({dr.sections[0].body for dr in drafts}) == 1
