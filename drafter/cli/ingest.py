"""``drafter ingest PATH...``: read past reports into the store."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import json

import typer
from rich.markup import escape
from rich.table import Table

from drafter.console import output_console
from drafter.cli.common import ChromaOpt, ConfigOpt, EmbedderOpt, EmbedUrlOpt, StoreOpt, make_drafter, rel

LINE_EVERY = 2.0
"""Seconds between two progress lines when stderr is not a terminal (a log file, a pipe)."""
BIG_FILE = 2**20
"""Files of at least this many bytes (1 MB) get a line when reading starts (reading 20 MB takes ~30 s)."""
BIG_INDEX = 5000
"""An index rebuild over at least this many chunks gets a line (50,000 chunks take ~30 s)."""


class ChunkProgress:
    """Progress of the new chunks of each file, batch by batch: chunks stored, chunks/s, ETA.

    On a terminal a tqdm bar; otherwise one line per stored batch (at most one
    per :data:`LINE_EVERY` seconds, and always the first and the last), so that a
    log shows how far a long ingest got. Reading a big file and rebuilding a big
    BM25 index get a line each.
    """

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.last = 0.0

    def __call__(self, p) -> None:  # p: drafter.corpus.ingest.IngestProgress
        from tqdm import tqdm

        name = Path(p.source).name
        if p.stage == "reading":
            if p.size_bytes >= BIG_FILE:
                typer.echo(f"{name}: reading {p.size_bytes / 2**20:.1f} MB and splitting it into chunks …", err=True)
            return
        if p.stage == "indexing":
            if p.total >= BIG_INDEX:
                typer.echo(f"Indexing {p.total:,} chunks for keyword search (BM25) …", err=True)
            return
        if p.done == 0:
            if p.stored_before:
                typer.echo(f"{name}: {p.stored_before:,} of {p.stored_before + p.total:,} chunks already in the store; "
                           f"embedding the other {p.total:,}.", err=True)
            if self.tty:
                self.bar = tqdm(total=p.total, unit="chunk", desc=name[:30], position=1, leave=False)
            self.last = 0.0
            return
        if self.bar is not None:
            self.bar.update(p.done - self.bar.n)
            if p.done >= p.total:
                self.bar.close()
                self.bar = None
            return
        now = time.monotonic()
        if p.done < p.total and self.last and now - self.last < LINE_EVERY:
            return
        self.last = now
        rate = p.done / p.seconds if p.seconds > 0 else 0.0
        eta = tqdm.format_interval((p.total - p.done) / rate) if rate else "?"
        typer.echo(f"{name}: {p.done:,}/{p.total:,} chunks stored, {rate:.1f} chunks/s, ETA {eta}", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., help="Files or folders of past reports (.txt .md .docx .pdf .html)."),
        prune: bool = typer.Option(False, "--prune", help="Also remove chunks of files that no longer exist."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON (per file and totals)."),
        store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, embed_base_url: str = EmbedUrlOpt,
        config: Path = ConfigOpt,
    ) -> None:
        """Split past reports into sections and chunks, embed them and store them (idempotent).

        New chunks are stored in batches as they are embedded; an interrupted run
        keeps them, and running the same command again goes on from there.
        """
        from tqdm import tqdm

        d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder, embed_base_url=embed_base_url)
        bar = tqdm(total=0, unit="file", desc="ingest", leave=False, disable=None)
        chunks = ChunkProgress()

        def progress(src: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_postfix_str(Path(src).name[:30])
            bar.update(1)

        try:
            rep = d.ingest(paths, prune=prune, progress=progress, on_progress=chunks)
        except KeyboardInterrupt:
            chunks.close()
            bar.close()
            typer.echo("Stopped: the chunks stored so far are kept; run the same command again to go on from there.", err=True)
            raise
        chunks.close()
        bar.close()
        if as_json:
            typer.echo(json.dumps(rep.to_dict(), ensure_ascii=False, indent=2))
            return
        console = output_console()
        table = Table(title="Ingest summary")
        for col in ("file", "encoding", "reports", "sections", "chunks", "added", "removed", "skipped"):
            table.add_column(col, overflow="fold")
        for f in rep.files:
            table.add_row(escape(rel(f.source)), f.encoding or "", str(f.reports), str(f.sections), str(f.chunks), str(f.added), str(f.removed), escape(f.skipped or ""))
        console.print(table)
        console.print(
            f"{len(rep.files)} files, {sum(f.reports for f in rep.files)} reports, {sum(f.chunks for f in rep.files)} chunks; "
            f"added {rep.added}, removed {rep.removed}, skipped {len(rep.skipped)} files; store holds {rep.total_chunks} chunks "
            f"({rep.seconds:.1f} s, {rep.embed_seconds:.1f} s embedding)."
        )
