"""``drafter corpus list|show``: what ingestion made of the past reports."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from ..errors import InputError
from .common import ChromaOpt, ConfigOpt, EmbedderOpt, StoreOpt, make_drafter, rel

corpus_app = typer.Typer(help="Inspect the ingested reports.", no_args_is_help=True)


def _reports(d):
    reports: dict[str, list] = {}
    for c in d.store.all_chunks():
        reports.setdefault(c.report_id, []).append(c)
    for chunks in reports.values():
        chunks.sort(key=lambda c: c.chunk_index)
    return sorted(reports.values(), key=lambda cs: (cs[0].source, cs[0].position))


@corpus_app.command("list")
def list_reports(store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, config: Path = ConfigOpt) -> None:
    """List ingested reports: id, title, year, sections, chunks, source."""
    d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder)
    table = Table()
    for col in ("id", "title", "year", "sections", "chunks", "source"):
        table.add_column(col)
    for chunks in _reports(d):
        c = chunks[0]
        paths = {tuple(x.section_path) for x in chunks}
        table.add_row(c.report_id[:10], c.report_title, str(c.year or "-"), str(len(paths)), str(len(chunks)), f"{rel(c.source)}#{c.position}")
    Console().print(table)


@corpus_app.command("show")
def show_report(
    report: str = typer.Argument(..., help="Report id (or its first characters) or title."),
    store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, config: Path = ConfigOpt,
) -> None:
    """Show one report's section tree and chunks."""
    d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder)
    matches = [cs for cs in _reports(d) if cs[0].report_id.startswith(report) or cs[0].report_title == report]
    if not matches:
        raise InputError(f"No ingested report '{report}'. See 'drafter corpus list'.")
    if len(matches) > 1:
        raise InputError(f"'{report}' matches {len(matches)} reports; give more of the id.")
    chunks = matches[0]
    tree = Tree(f"[bold]{chunks[0].report_title}[/bold] ({chunks[0].year or '-'}, {rel(chunks[0].source)})")
    nodes: dict[tuple, Tree] = {(): tree}
    for c in chunks:
        path = tuple(c.section_path)
        for i in range(1, len(path) + 1):
            if path[:i] not in nodes:
                nodes[path[:i]] = nodes[path[: i - 1]].add(f"{path[i - 1]}  [dim]{c.section_kind if i == len(path) else ''}[/dim]")
        nodes[path].add(f"[dim]{c.id[:8]}[/dim] {c.text[:80].replace(chr(10), ' ')}…")
    Console().print(tree)


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
