"""The README's Python API example runs (with the scripted model and the hash embedder)."""

from __future__ import annotations

import re

from drafter.api import Drafter
from drafter.index.embeddings import HashEmbedder
from drafter.testing import FakeLLM
from conftest import REPO
from test_drafting import json_writer


def test_readme_api_example_runs(tmp_path, monkeypatch, capsys):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Python API\s+```python\n(.*?)```", text, re.S).group(1)
    real_init = Drafter.__init__

    def init(self, settings=None, llm=None, embedder=None, **kw):
        kw["store"] = tmp_path / "store"
        real_init(self, settings, llm=FakeLLM(default=json_writer), embedder=HashEmbedder(), **kw)

    monkeypatch.setattr(Drafter, "__init__", init)
    monkeypatch.chdir(REPO)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "一、工作开展情况" in out and "4.5公里" in out and "True" in out
