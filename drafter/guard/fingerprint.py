"""The checker's fingerprint: a hash of everything that decides a check's findings.

An eval run records it (``meta.json`` ``checker``); ``drafter eval rescore`` and
``compare`` read it to tell whether findings may have changed since. Nothing is
listed by hand: :func:`guard_files` walks this package, follows every
``drafter.*`` import of its modules (those inside functions too) to the modules
they need elsewhere in Drafter (script conversion, figures, section kinds …),
and adds each data file those modules name (``"units.yaml"``). A change in any
of them changes :func:`checker_fingerprint`.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The ``drafter`` package folder."""
_DATA_NAME = re.compile(r"^[\w.-]+\.(?:yaml|yml|txt|json)$")


def _module_file(root: Path, dotted: str) -> Path | None:
    parts = dotted.split(".")[1:]
    if not parts:
        return None
    base = root.joinpath(*parts)
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def _imports_and_data(root: Path, path: Path) -> tuple[set[str], set[str]]:
    """``drafter.*`` modules imported by ``path`` (``from drafter.x import y`` gives both
    ``drafter.x`` and ``drafter.x.y``) and the data file names its string literals hold."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    mods: set[str] = set()
    data: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names if a.name.split(".")[0] == "drafter")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "drafter":
            mods.add(node.module)
            mods.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _DATA_NAME.match(node.value):
            if (root / "data" / node.value).is_file():
                data.add(node.value)
    return mods, data


def guard_files(root: Path | None = None) -> list[Path]:
    """Every file the checker's findings depend on: the guard package's modules, the Drafter
    modules they import (transitively) and the data files those name — sorted, under ``root``
    (default: this installed package)."""
    root = Path(root) if root else PACKAGE_ROOT
    todo = sorted((root / "guard").rglob("*.py"))
    seen: set[Path] = set()
    data: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        mods, names = _imports_and_data(root, path)
        data |= names
        for m in mods:
            f = _module_file(root, m)
            if f is not None and f not in seen:
                todo.append(f)
    return sorted(seen | {root / "data" / n for n in data})


def checker_fingerprint(root: Path | None = None) -> str:
    """sha256 over :func:`guard_files` (relative path and bytes of each): changes whenever
    rescoring may change results."""
    root = Path(root) if root else PACKAGE_ROOT
    h = hashlib.sha256()
    for p in guard_files(root):
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()
