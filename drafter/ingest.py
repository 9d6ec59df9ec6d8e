"""Ingest: files → reports → sections → chunks → embeddings → store.

Idempotent by construction: chunk ids are content hashes, so for each file the
store is brought to exactly the file's current chunk set — missing chunks are
embedded and added, chunks no longer produced are deleted, unchanged ones are
left alone (not re-embedded). A run killed at any point leaves a store that the
next run completes without duplicates or orphans. One ingest at a time per
store: a second process waits on ``ingest.lock``.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .store import Store


@dataclass
class FileResult:
    """What ingest made of one file."""

    source: str
    encoding: str | None = None
    reports: int = 0
    sections: int = 0
    chunks: int = 0
    added: int = 0
    removed: int = 0
    skipped: str | None = None


@dataclass
class IngestReport:
    """Summary of one ingest run.

    Attributes:
        files: one :class:`FileResult` per file seen.
        pruned: chunks removed for files that no longer exist (``--prune``).
        seconds: wall time; embed_seconds: time spent embedding.
    """

    files: list[FileResult] = field(default_factory=list)
    pruned: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    total_chunks: int = 0

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files) + self.pruned

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.skipped]


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_key(path: Path) -> str:
    """The ``source`` recorded for a file: its resolved absolute path."""
    return str(Path(path).resolve())


def ingest(paths: Sequence[str | Path], store: Store, prune: bool = False, max_tokens: int = 256,
           progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Ingest files and folders into ``store``.

    Args:
        paths: files or folders (folders are walked recursively).
        store: the target store (created when missing).
        prune: also delete chunks of files that no longer exist on disk.
        max_tokens: chunk size bound (tiktoken cl100k tokens).
        progress: called as ``progress(source, done, total)`` after each file.

    Returns:
        An :class:`IngestReport`.

    Raises:
        InputError: a path that does not exist, no files, or no usable file (every
            one skipped: empty, binary, too large, unreadable …; the message
            names them). Nothing is written then: the store is locked and
            opened only once a usable file is found. StoreError: store problems.
    """
    from filelock import FileLock

    from .chunking import chunk_report
    from .corpus import parse_file
    from .loaders import iter_files

    t0 = time.perf_counter()
    files = iter_files([Path(p) for p in paths])
    if not files:
        raise InputError(f"No files to ingest under {', '.join(map(str, paths))}.")
    report = IngestReport()
    with contextlib.ExitStack() as locked:
        changed = opened = False
        for n, path in enumerate(files, 1):
            src = source_key(path)
            parsed = parse_file(path)
            res = FileResult(source=src, encoding=parsed.encoding, skipped=parsed.skipped)
            report.files.append(res)
            if parsed.skipped:
                if progress:
                    progress(src, n, len(files))
                continue
            if not opened:  # first usable file: lock and open the store
                store.local_dir.mkdir(parents=True, exist_ok=True)
                locked.enter_context(FileLock(str(store.local_dir / "ingest.lock")))
                store.collection(create=True)
                opened = True
            fh = file_hash(path)
            chunks = []
            for rep in parsed.reports:
                rep.source = src
                chunks.extend(chunk_report(rep, max_tokens=max_tokens))
            res.reports = len(parsed.reports)
            res.sections = sum(len(r.sections) for r in parsed.reports)
            res.chunks = len(chunks)
            existing = store.ids_for_source(src)
            wanted = {c.id: c for c in chunks}
            new = [c for cid, c in wanted.items() if cid not in existing]
            stale = [cid for cid in existing if cid not in wanted]
            if new:
                te = time.perf_counter()
                vecs = store.embedder.embed([c.embed_text for c in new])
                report.embed_seconds += time.perf_counter() - te
                store.add(new, vecs, fh)
            if stale:
                store.delete(stale)
            res.added, res.removed = len(new), len(stale)
            changed = changed or bool(new or stale)
            if progress:
                progress(src, n, len(files))
        if not opened:
            shown = "; ".join(f"{Path(f.source).name}: {f.skipped}" for f in report.files[:3])
            more = f"; and {len(report.files) - 3} more" if len(report.files) > 3 else ""
            raise InputError(f"Nothing to ingest: no usable file under {', '.join(map(str, paths))} ({shown}{more}).")
        if prune:
            for src in list(store.sources()):
                if not Path(src).exists():
                    ids = list(store.ids_for_source(src))
                    store.delete(ids)
                    report.pruned += len(ids)
                    changed = True
        if changed or store.lexical_stale():
            store.rebuild_lexical()
        report.total_chunks = store.count()
    report.seconds = time.perf_counter() - t0
    return report
