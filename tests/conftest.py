"""Shared test kit: a temporary DRAFTER_HOME for every test, paths to shared data, fakes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_CORPUS = SHARED / "corpus"
SHARED_FILE = SHARED_CORPUS / "000_a0d734900480c52c.txt"
BUNDLED_CORPUS = REPO / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def drafter_home(tmp_path_factory, monkeypatch):
    """Point DRAFTER_HOME at a fresh folder and clear DRAFTER_* settings from the environment."""
    home = tmp_path_factory.mktemp("drafter-home")
    for key in list(os.environ):
        if key.startswith("DRAFTER_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DRAFTER_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def model_cache_dir():
    """A persistent cache for the joined local model file, shared across tests (joining takes seconds)."""
    d = Path(os.environ.get("DRAFTER_TEST_CACHE", REPO / ".drafter" / "test-cache"))
    d.mkdir(parents=True, exist_ok=True)
    return d
