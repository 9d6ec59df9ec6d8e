"""Files Drafter writes for the user (drafts, .docx, checked documents, templates).

They are written atomically (a temporary file beside the target, then a
rename) and get the user's normal permissions: ``0666`` minus the umask, as
any editor would create them (``0644`` with the usual umask 022), not the
``0600`` of a temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from drafter.errors import InputError


def umask() -> int:
    """The process's umask (read from ``/proc/self/status`` on Linux, else set and restored)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """Permission bits of a new file: ``0o666 & ~umask``."""
    return 0o666 & ~umask()


def write_atomic(path: Path, data: bytes, *, force: bool = False, what: str = "file") -> None:
    """Write ``data`` to ``path`` atomically with the user's normal permissions.

    Args:
        path: target file; its folder is created when missing.
        data: the bytes.
        force: replace an existing file (otherwise it is kept and this is an error).
        what: what is written, for messages (``"draft"``, ``"checked document"``).

    Raises:
        InputError: the file exists (without ``force``) or cannot be written;
            nothing is left behind then.
    """
    path = Path(path)
    if path.exists() and not force:
        raise InputError(f"{path} exists; choose another -o or add --force to replace it.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name for the {what}.")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), new_file_mode())
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise InputError(f"{path}: cannot write the {what} ({exc.strerror}).") from exc


def read_yaml(path: Path, what: str, error: type[Exception] = InputError) -> Any:
    """The YAML document of a user file, or a clear error naming the file.

    Args:
        path: the file (read as UTF-8; a byte-order mark is allowed).
        what: what the file is, for the message (``"outline"``, ``"config file"`` …).
        error: the :class:`~drafter.errors.DrafterError` class to raise (``ConfigError`` for settings).

    Returns:
        The parsed document (``None`` for an empty file).

    Raises:
        ``error``: the file cannot be read ("cannot read the outline (No such file or directory)"),
        is not UTF-8 text, or is not valid YAML (with PyYAML's line and column).
    """
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: the {what} is not UTF-8 text (byte {exc.start}).") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({exc}).") from exc
