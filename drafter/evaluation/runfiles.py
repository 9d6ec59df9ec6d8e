"""Files of a run folder and the facts recorded about a run (git revision, checker hash, settings)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from drafter.config import REPO_ROOT, Settings
from drafter.errors import InputError


def now() -> str:
    """UTC timestamp, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_revision(root: Path = REPO_ROOT) -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}`` of the checkout (read-only git calls)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, env=env)
        if sha.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(["git", "diff-index", "--quiet", "HEAD", "--"], cwd=root, capture_output=True, timeout=10, env=env)
        return {"commit": sha.stdout.strip(), "dirty": dirty.returncode != 0}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def checker_fingerprint() -> str:
    """sha256 over the checker's source and data files (changes when rescoring may change results):
    the whole guard package, the Drafter modules it imports and the data files they read
    (:func:`drafter.guard.fingerprint.checker_fingerprint`)."""
    from drafter.guard.fingerprint import checker_fingerprint as guard_fingerprint

    return guard_fingerprint()


def public_settings(settings: Settings) -> dict[str, Any]:
    """Settings as JSON, without secrets (keys are never in settings; URL credentials are dropped)."""
    data = settings.model_dump(mode="json")
    url = data.get("base_url")
    if url:
        u = urlparse(url)
        if u.username or u.password:
            data["base_url"] = u._replace(netloc=u.hostname + (f":{u.port}" if u.port else "")).geturl()
    return data


def read_json(path: Path) -> dict[str, Any]:
    """Read a run's JSON file.

    Raises:
        InputError: missing or unreadable file.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} not found; is {path.parent} an eval run folder?") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable ({exc}).") from exc


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def load_records(run: Path) -> list[dict[str, Any]]:
    """Records of a run folder, the last one per key (a torn last line is ignored)."""
    path = Path(run) / "records.jsonl"
    out: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            with contextlib.suppress(ValueError):
                rec = json.loads(line)
                if isinstance(rec, dict) and "key" in rec:
                    out[rec["key"]] = rec
    return list(out.values())
