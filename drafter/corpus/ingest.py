"""Ingest: files → reports → sections → chunks → embeddings → store.

Idempotent by construction: chunk ids are content hashes, so for each file the
store is brought to exactly the file's current chunk set — missing chunks are
embedded and added, chunks no longer produced are deleted, unchanged ones are
left alone (not re-embedded). New chunks are embedded and stored in batches of
about :data:`COMMIT_SECONDS` of embedding each, so a run killed in the middle of a big file keeps every
stored batch and the next run embeds only the rest (it finds them by id). A run
killed at any point leaves a store that the next run completes without
duplicates or orphans. One ingest at a time per store: a second process waits
on ``ingest.lock``.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from pathlib import Path

from drafter.errors import InputError
from drafter.index.store import Store

COMMIT_SECONDS = 5.0
"""Target seconds of embedding per stored batch: a kill loses at most about this
much work, and a progress line comes about this often. Batch sizes follow the
measured speed (the default embedder does ~5–15 chunks/s on 2 cores, the test
embedder thousands), between :data:`MIN_BATCH` and the ``batch_size`` bound."""
FIRST_BATCH = 64
"""Chunks in a file's first batch, before the speed is known."""
MIN_BATCH = 16
"""Fewest chunks per batch (one call of most embedders)."""
COMMIT_BATCH = 1024
"""Most chunks per batch (one upsert), whatever the speed."""


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
class IngestProgress:
    """What a running ingest is doing, for ``on_progress``.

    Stages, in order for each file, then once at the end:

    * ``"reading"``: ``source`` is about to be read, cleaned and split into
      chunks (``size_bytes`` gives its size; seconds for a big file);
    * ``"embedding"``: sent before the file's first batch (``done == 0``) and
      after each stored batch of its new chunks;
    * ``"indexing"``: the BM25 index is being rebuilt over ``total`` chunks
      (``source`` is ``""``).

    Attributes:
        stage: ``"reading"``, ``"embedding"`` or ``"indexing"``.
        source: the file (resolved path).
        done: new chunks embedded and stored so far for this file in this run.
        total: new chunks this run embeds for the file (indexing: chunks indexed).
        stored_before: chunks of the file's current text already in the store when
            this run reached it (batches of an interrupted run, unchanged parts of an edited file).
        seconds: wall seconds spent on this file's batches so far (embedding and storing).
        size_bytes: the file's size (reading).
    """

    stage: str
    source: str
    done: int = 0
    total: int = 0
    stored_before: int = 0
    seconds: float = 0.0
    size_bytes: int = 0


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``files`` (one dict per :class:`FileResult`), totals, seconds."""
        return {
            "files": [asdict(f) for f in self.files],
            "reports": sum(f.reports for f in self.files),
            "chunks": sum(f.chunks for f in self.files),
            "added": self.added,
            "removed": self.removed,
            "pruned": self.pruned,
            "skipped": len(self.skipped),
            "total_chunks": self.total_chunks,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
        }


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
           progress: Callable[[str, int, int], None] | None = None,
           on_progress: Callable[[IngestProgress], None] | None = None, batch_size: int = COMMIT_BATCH) -> IngestReport:
    """Ingest files and folders into ``store``.

    Args:
        paths: files or folders (folders are walked recursively).
        store: the target store (created when missing).
        prune: also delete chunks of files that no longer exist on disk.
        max_tokens: chunk size bound (tiktoken cl100k tokens).
        progress: called as ``progress(source, done, total)`` after each file.
        on_progress: called with an :class:`IngestProgress` before each file is read,
            before its first batch and after each stored batch of its new chunks,
            and before the BM25 index is rebuilt.
        batch_size: most new chunks embedded and stored at a time (default
            :data:`COMMIT_BATCH`); batches are sized to take about
            :data:`COMMIT_SECONDS` each.

    Returns:
        An :class:`IngestReport`.

    Raises:
        InputError: a path that does not exist, no files, or no usable file (every
            one skipped: empty, binary, too large, unreadable …; the message
            names them). Nothing is written then: the store is locked and
            opened only once a usable file is found. StoreError: store problems.
    """
    from filelock import FileLock

    from drafter.corpus.chunking import chunk_report
    from drafter.corpus.reports import parse_file
    from drafter.corpus.loaders import MAX_BYTES, iter_files

    t0 = time.perf_counter()
    files = iter_files([Path(p) for p in paths])
    if not files:
        raise InputError(f"No files to ingest under {', '.join(map(str, paths))}.")
    report = IngestReport()
    # New chunks of several small files are embedded together, so that an embedding server gets
    # full batches, several in flight; a file with more new chunks than that is embedded and stored
    # in batches of its own (_embed_in_batches), so a kill keeps every stored batch. Each file's
    # chunks are added, then its stale ones deleted, file by file (a run killed in between leaves
    # what the next run completes).
    window = max(1, getattr(store.embedder, "batch_size", 1) * getattr(store.embedder, "concurrency", 1))
    pending: list[tuple[FileResult, str, list, list[str], int, int]] = []

    def done(res: FileResult, stale: list[str], n: int) -> None:
        if stale:
            store.delete(stale)
        if progress:
            progress(res.source, n, len(files))

    def flush() -> None:
        texts = [c.embed_text for _, _, new, _, _, _ in pending for c in new]
        vecs = None
        took = 0.0
        if texts:
            te = time.perf_counter()
            vecs = store.embedder.embed(texts)
            took = time.perf_counter() - te
            report.embed_seconds += took
        offset = 0
        for res, fh, new, stale, n, before in pending:
            if new:
                store.add(new, vecs[offset : offset + len(new)], fh)
                offset += len(new)
                if on_progress:  # each file's share of the batch's time, so its rate reads right
                    on_progress(IngestProgress("embedding", res.source, len(new), len(new), before,
                                               took * len(new) / len(texts)))
            done(res, stale, n)
        pending.clear()

    with contextlib.ExitStack() as locked:
        changed = opened = False
        for n, path in enumerate(files, 1):
            src = source_key(path)
            if on_progress:
                with contextlib.suppress(OSError):
                    size = path.stat().st_size
                    if size <= MAX_BYTES:  # a larger file is refused unread
                        on_progress(IngestProgress("reading", src, size_bytes=size))
            parsed = parse_file(path)
            res = FileResult(source=src, encoding=parsed.encoding, skipped=parsed.skipped)
            report.files.append(res)
            if parsed.skipped:
                if progress:
                    progress(src, n, len(files))
                continue
            if not opened:  # first usable file: lock and open the store
                store.make_folder()
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
            res.added, res.removed = len(new), len(stale)
            changed = changed or bool(new or stale)
            if len(new) > max(window, FIRST_BATCH):
                flush()
                _embed_in_batches(store, new, fh, len(wanted) - len(new), src, report, on_progress,
                                  max(window, batch_size))
                done(res, stale, n)
                continue
            pending.append((res, fh, new, stale, n, len(wanted) - len(new)))
            if sum(len(p[2]) for p in pending) >= window:
                flush()
        flush()
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
            if on_progress:
                on_progress(IngestProgress("indexing", "", total=store.count()))
            store.rebuild_lexical()
        report.total_chunks = store.count()
    report.seconds = time.perf_counter() - t0
    return report


def _embed_in_batches(store: Store, new: list, fh: str, stored_before: int, src: str, report: IngestReport,
                      on_progress: Callable[[IngestProgress], None] | None, batch_size: int) -> None:
    """Embed and store ``new`` chunks in batches of about :data:`COMMIT_SECONDS` (at most
    ``batch_size``), reporting each stored batch."""
    t_file = time.perf_counter()
    if on_progress:
        on_progress(IngestProgress("embedding", src, 0, len(new), stored_before))
    i, size = 0, min(FIRST_BATCH, batch_size)
    while i < len(new):
        part = new[i : i + size]
        te = time.perf_counter()
        vecs = store.embedder.embed([c.embed_text for c in part])
        report.embed_seconds += time.perf_counter() - te
        store.add(part, vecs, fh)
        took = time.perf_counter() - te
        i += len(part)
        size = max(MIN_BATCH, min(batch_size, int(len(part) / max(took, 1e-3) * COMMIT_SECONDS)))
        if on_progress:
            on_progress(IngestProgress("embedding", src, i, len(new), stored_before, time.perf_counter() - t_file))
