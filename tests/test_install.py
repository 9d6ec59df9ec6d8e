"""A regular (non-editable) install carries everything Drafter needs: the built wheel holds the
built-in prompts, the lexicons and the page's files, and Drafter run from that install (not from
this checkout) lists its prompts and drafts a section with a scripted model — offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import BUNDLED_CORPUS, REPO

SCRIPT = r"""
import json, sys
from pathlib import Path
import drafter
from drafter import Drafter, FakeLLM, load_figures
from drafter.drafting.prompts import BUILTIN_DIR, PromptLibrary
from drafter.index.embeddings import HashEmbedder

corpus, figures, store = map(Path, sys.argv[1:4])
names = PromptLibrary().names()

def writer(messages):
    user = messages[-1]["content"]
    if "intro" in user:
        import re
        heads = re.findall(r"^\d+\. (\S+?)（涉及", user, flags=re.M)
        return json.dumps({"intro": "一年来，工作队围绕乡村振兴总要求扎实开展各项工作。",
                           **{h: "聚焦群众急难愁盼，持续用力抓落实。" for h in heads}}, ensure_ascii=False)
    return json.dumps({"text": "工作队扎实推进各项工作，取得明显成效。"}, ensure_ascii=False)

d = Drafter(llm=FakeLLM(default=writer), embedder=HashEmbedder(), store=store, strategy="compose")
d.ingest([corpus])
draft = d.write(load_figures(figures), sections=["work"])
print(json.dumps({"package": drafter.__file__, "prompts_dir": str(BUILTIN_DIR), "names": names,
                  "ok": draft.ok, "body": draft.sections[0].body}, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "-w", str(out), str(REPO)], check=True, capture_output=True, timeout=300)
    (whl,) = out.glob("drafter-*.whl")
    return whl


def test_the_wheel_holds_prompts_data_and_page_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    prompts = {p.name for p in (REPO / "drafter" / "data" / "prompts").glob("*.md")}
    assert prompts and {f"drafter/data/prompts/{n}" for n in prompts} <= names
    data = {p.name for p in (REPO / "drafter" / "data").iterdir() if p.is_file() and p.suffix != ".py"}
    assert {f"drafter/data/{n}" for n in data} <= names
    assert {"drafter/py.typed", "drafter/guard/check.py", "drafter/llm/client.py", "drafter/cli/main.py"} <= names
    static = {p.relative_to(REPO).as_posix() for d in ("static", "templates") for p in (REPO / "drafter" / "web" / d).rglob("*") if p.is_file()}
    assert static and static <= names


def test_drafter_runs_from_a_regular_install(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target), "DRAFTER_HOME": str(tmp_path / "home")}
    run = tmp_path / "elsewhere"
    run.mkdir()  # not this checkout: nothing is found by a path relative to it
    listed = subprocess.run([sys.executable, "-m", "drafter.cli", "prompts", "list"], cwd=run, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "work" in listed.stdout and str(target) in listed.stdout.replace("\n", "")
    res = subprocess.run([sys.executable, "-c", SCRIPT, str(BUNDLED_CORPUS), str(REPO / "tests" / "data" / "figures-work.yaml"),
                          str(tmp_path / "store")], cwd=run, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["package"].startswith(str(target)) and out["prompts_dir"].startswith(str(target))
    assert "work" in out["names"] and "closing" in out["names"]
    assert out["ok"] and "一是" in out["body"]
