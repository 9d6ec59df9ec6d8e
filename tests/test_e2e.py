"""End to end with the real embedded model (the 0.5B GGUF, for CI time) and the default embedder.

Asserts properties, not text: every figure present exactly, with its value and unit, in the
section it belongs to; no other quantity; headings present; exit status 0, or 1 when only the genre
check left wording for the office to edit (the 0.5B writes weaker prose than the default 1.5B,
whose whole reports are held to the genre bar in ``test_e2e_reports.py``); never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from drafter.figures import load_figures
from drafter.guard.quantities import extract_quantities
from conftest import BUNDLED_CORPUS, REPO, SHARED_CORPUS

pytestmark = pytest.mark.slow

SMALL = "qwen2.5-coder-0.5b"


@pytest.fixture(scope="module")
def e2e_home(tmp_path_factory):
    """One DRAFTER_HOME for the module: the joined model and the store are shared by its tests."""
    return tmp_path_factory.mktemp("e2e-home")


WRITTEN = (0, 1)
"""Exit statuses of a draft that was written: 0 signable, 1 findings marked for the office."""


def run_write(home: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "DRAFTER_HOME": str(home), "DRAFTER_LOCAL_MODEL": SMALL, "HF_HUB_OFFLINE": "1"}
    env.pop("OPENAI_API_KEY", None)
    return subprocess.run([sys.executable, "-m", "drafter.cli", "write", "-q", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_numbers_exact(text: str, figures) -> None:
    """Every figure's text appears exactly once; every quantity in the text is one of the figures."""
    for f in figures:
        assert text.count(f.render()) == 1, (f.render(), text)
    rendered = {f.render() for f in figures}
    rendered |= {q.text for f in figures for q in extract_quantities(f.name)}  # numbers inside a figure's own name
    for q in extract_quantities(text):
        assert q.text in rendered, (q.text, text)


def test_write_work_section_on_bundled_corpus(e2e_home):
    res = run_write(e2e_home, "--figures", str(BUNDLED_CORPUS / "figures-example.yaml"), "--section", "work")
    assert res.returncode in WRITTEN, res.stderr[-3000:]
    assert "一、工作开展情况" in res.stdout
    assert_numbers_exact(res.stdout, load_figures(BUNDLED_CORPUS / "figures-example.yaml").for_section("work"))


def test_write_on_shared_corpus_with_eight_figures(e2e_home, tmp_path):
    figures = {
        "organisation": "青石镇驻村工作队", "period": "2025年",
        "figures": [
            {"name": "新建通组公路", "value": 3.8, "unit": "公里"},
            {"name": "安装路灯", "value": 126, "unit": "盏"},
            {"name": "开展实用技术培训", "value": 12, "unit": "期"},
            {"name": "培训农民", "value": 640, "unit": "人次"},
            {"name": "落实帮扶资金", "value": 86.5, "unit": "万元"},
            {"name": "完成农村改厕", "value": 215, "unit": "户"},
            {"name": "村集体经济收入", "value": 23.4, "unit": "万元"},
            {"name": "农村自来水普及率", "value": 97.5, "unit": "%"},
        ],
    }
    path = tmp_path / "figures.yaml"
    path.write_text(yaml.safe_dump(figures, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "draft.json"
    res = run_write(e2e_home, "--corpus", str(SHARED_CORPUS), "--figures", str(path), "--section", "work", "-o", str(out))
    assert res.returncode in WRITTEN, res.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["ok"] and data["sections"][0]["heading"] == "一、工作开展情况"
    assert all(src["report"].startswith("鄉村振興駐村工作情況彙報") for src in data["sources"])
    assert_numbers_exact(data["sections"][0]["text"], load_figures(path).figures)


def test_whole_report_fifteen_figures_three_sections_and_docx(e2e_home, tmp_path):
    from docx import Document

    work = [("新建改造农村公路", 4.5, "公里"), ("安装太阳能路灯", 60, "盏"), ("开展技能培训", 460, "人次"), ("带动脱贫户就业", 95, "户"),
            ("新建改造垃圾收集点", 11, "处"), ("自来水入户率", 98, "%"), ("村集体经济收入", 18.9, "万元"), ("脱贫户人均纯收入", 15630, "元"),
            ("完成农村改厕", 42, "户"), ("发展黄桃种植", 320, "亩")]
    figs = [{"name": n, "value": v, "unit": u, "section": "work"} for n, v, u in work]
    figs += [{"name": "集体经济收入中租金占比", "value": 70, "unit": "%", "section": "problems"},
             {"name": "外出务工劳动力", "value": 210, "unit": "人", "section": "problems"}]
    figs += [{"name": "新建高标准农田", "value": 500, "unit": "亩", "section": "next_steps"},
             {"name": "村集体经济收入", "value": 25, "unit": "万元", "section": "next_steps"} | {"name": "村集体经济收入目标"},
             {"name": "培训致富带头人", "value": 30, "unit": "名", "section": "next_steps"}]
    data = {"title": "柳塘村2025年驻村工作总结", "organisation": "柳塘村驻村工作队", "period": "2025年", "figures": figs,
            "facts": [{"text": "成立村红白理事会", "section": "work"}]}
    path = tmp_path / "report.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "report.json"
    res = run_write(e2e_home, "--figures", str(path), "-o", str(out))
    assert res.returncode in WRITTEN, res.stderr[-3000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [s["kind"] for s in doc["sections"]] == ["opening", "work", "problems", "next_steps"]
    assert [s["heading"] for s in doc["sections"][1:]] == ["一、工作开展情况", "二、存在问题", "三、下步工作打算"]
    fs = load_figures(path)
    for sec in doc["sections"]:
        assert_numbers_exact(sec["text"], fs.for_section(sec["kind"]))
    docx = tmp_path / "report.docx"
    res = run_write(e2e_home, "--figures", str(path), "-o", str(docx))
    assert res.returncode in WRITTEN, res.stderr[-3000:]
    styles = {p.style.name for p in Document(str(docx)).paragraphs}
    assert {"Drafter Title", "Drafter Heading 1", "Drafter Body"} <= styles
