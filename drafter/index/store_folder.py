"""The store's folder on disk: refusing a path that is a file, a read-only store, a folder that cannot be made.

:class:`StoreFolder` holds the checks :class:`drafter.index.store.Store` runs before
chromadb touches a file, so a store that cannot be written is reported as read-only
(:class:`~drafter.errors.StoreError`), never as corrupt, and nothing is changed.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from drafter.errors import StoreError

__all__ = ["UNWRITABLE", "StoreFolder"]


def _write_problem(folder: Path) -> str | None:
    """Why files in an existing ``folder`` cannot be written (``"read-only file system"``,
    ``"no permission to write"``), or None. Checked without writing anything; ``os.access``
    sees read-only mounts, modes and immutable files, also for root."""
    for p in (folder, folder / "chroma", folder / "chroma" / "chroma.sqlite3", folder / "lexical"):
        if p.exists() and not os.access(p, os.W_OK):
            try:
                if os.statvfs(p).f_flag & os.ST_RDONLY:
                    return "read-only file system"
            except OSError:
                pass
            return f"no permission to write {p}"
    return None


UNWRITABLE = re.compile(r"readonly database|read-only|permission denied|unable to open database file|Errno (1|13|30)\b", re.I)
"""What chromadb says when its files cannot be written (not corrupt)."""


class StoreFolder:
    """The folder checks of a store; the subclass sets ``local_dir`` (the store folder,
    or the local part of a Chroma server's store: lexical index and lock)."""

    local_dir: Path

    def check_path(self) -> None:
        """Refuse a store path that is a file or lies under one.

        Raises:
            StoreError: naming the path and the file in the way.
        """
        from drafter.config import file_in_the_way

        folder = self.local_dir  # the store itself, or the local part (lexical index, lock) of a Chroma server's
        blocker = file_in_the_way(folder)
        if blocker is not None:
            what = "is a file" if blocker == folder else f"lies under the file {blocker}"
            raise StoreError(f"The store folder {folder} {what}, not a folder.", "Choose another --store (or DRAFTER_HOME).")

    def _read_only(self, why: str) -> StoreError:
        return StoreError(
            f"The store at {self.local_dir} is read-only ({why}); its files were not changed.",
            "Drafter writes to its store even to search it (chromadb opens its database for writing): make the "
            "folder writable, or copy it to a writable folder and pass that as --store.",
        )

    def check_writable(self) -> None:
        """Refuse an existing store whose files cannot be written (read-only mount, permissions).

        Raises:
            StoreError: saying it is read-only (never that it is corrupt).
        """
        problem = _write_problem(self.local_dir)
        if problem:
            raise self._read_only(problem)

    def make_folder(self) -> None:
        """Create the store folder (and ``$DRAFTER_HOME``) if needed, and check it can be written.

        Raises:
            StoreError: the path is or lies under a file, the folder cannot be
                created (read-only, no permission), or the store is read-only.
        """
        self.check_path()
        try:
            self.local_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                why += "; the folder above it cannot be written"
            raise StoreError(f"The store folder {self.local_dir} cannot be created ({why}).",
                             "Choose another --store (or DRAFTER_HOME), or make the folder above it writable.") from exc
        self.check_writable()
