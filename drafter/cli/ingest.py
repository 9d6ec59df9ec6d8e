"""``drafter ingest PATH...``: read past reports into the store."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from .common import ChromaOpt, ConfigOpt, EmbedderOpt, StoreOpt, make_drafter, rel


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., help="Files or folders of past reports (.txt .md .docx .pdf .html)."),
        prune: bool = typer.Option(False, "--prune", help="Also remove chunks of files that no longer exist."),
        store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, config: Path = ConfigOpt,
    ) -> None:
        """Split past reports into sections and chunks, embed them and store them (idempotent)."""
        from tqdm import tqdm

        d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder)
        bar = tqdm(total=0, unit="file", desc="ingest", leave=False, disable=None)

        def progress(src: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_postfix_str(Path(src).name[:30])
            bar.update(1)

        rep = d.ingest(paths, prune=prune, progress=progress)
        bar.close()
        console = Console(stderr=False)
        table = Table(title="Ingest summary")
        for col in ("file", "encoding", "reports", "sections", "chunks", "added", "removed", "skipped"):
            table.add_column(col)
        for f in rep.files:
            table.add_row(rel(f.source), f.encoding or "", str(f.reports), str(f.sections), str(f.chunks), str(f.added), str(f.removed), f.skipped or "")
        console.print(table)
        console.print(
            f"{len(rep.files)} files, {sum(f.reports for f in rep.files)} reports, {sum(f.chunks for f in rep.files)} chunks; "
            f"added {rep.added}, removed {rep.removed}, skipped {len(rep.skipped)} files; store holds {rep.total_chunks} chunks "
            f"({rep.seconds:.1f} s, {rep.embed_seconds:.1f} s embedding)."
        )
