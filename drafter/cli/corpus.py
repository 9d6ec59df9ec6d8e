"""``drafter corpus list|show``: what ingestion made of the past reports."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from drafter.console import output_console
from drafter.errors import InputError
from drafter.cli.common import ChromaOpt, ConfigOpt, EmbedderOpt, EmbedUrlOpt, StoreOpt, make_drafter, rel

JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")

corpus_app = typer.Typer(help="Inspect the ingested reports.", no_args_is_help=True)


def _reports(d):
    reports: dict[str, list] = {}
    for c in d.store.all_chunks():
        reports.setdefault(c.report_id, []).append(c)
    for chunks in reports.values():
        chunks.sort(key=lambda c: c.chunk_index)
    return sorted(reports.values(), key=lambda cs: (cs[0].source, cs[0].position))


@corpus_app.command("list")
def list_reports(as_json: bool = JsonOpt, store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt,
                 embed_base_url: str = EmbedUrlOpt, config: Path = ConfigOpt) -> None:
    """List ingested reports: id, title, year, sections, chunks, source (whole rows, also when piped)."""
    d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder, embed_base_url=embed_base_url)
    rows = []
    for chunks in _reports(d):
        c = chunks[0]
        rows.append({"id": c.report_id, "title": c.report_title, "year": c.year, "sections": len({tuple(x.section_path) for x in chunks}),
                     "chunks": len(chunks), "source": c.source, "position": c.position})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table()
    for col in ("id", "title", "year", "sections", "chunks", "source"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["id"][:10], escape(r["title"]), str(r["year"] or "-"), str(r["sections"]), str(r["chunks"]),
                      escape(f"{rel(r['source'])}#{r['position']}"))
    output_console().print(table)


@corpus_app.command("show")
def show_report(
    report: str = typer.Argument(..., help="Report id (or its first characters) or title."),
    as_json: bool = JsonOpt,
    store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, embed_base_url: str = EmbedUrlOpt,
    config: Path = ConfigOpt,
) -> None:
    """Show one report's section tree and chunks."""
    d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder, embed_base_url=embed_base_url)
    matches = [cs for cs in _reports(d) if cs[0].report_id.startswith(report) or cs[0].report_title == report]
    if not matches:
        raise InputError(f"No ingested report '{report}'. See 'drafter corpus list'.")
    if len(matches) > 1:
        raise InputError(f"'{report}' matches {len(matches)} reports; give more of the id.")
    chunks = matches[0]
    if as_json:
        c0 = chunks[0]
        typer.echo(json.dumps({
            "id": c0.report_id, "title": c0.report_title, "year": c0.year, "source": c0.source, "position": c0.position,
            "chunks": [{"id": c.id, "section_path": c.section_path, "section_kind": c.section_kind, "text": c.text} for c in chunks],
        }, ensure_ascii=False, indent=2))
        return
    tree = Tree(f"[bold]{escape(chunks[0].report_title)}[/bold] ({chunks[0].year or '-'}, {escape(rel(chunks[0].source))})")
    nodes: dict[tuple, Tree] = {(): tree}
    for c in chunks:
        path = tuple(c.section_path)
        for i in range(1, len(path) + 1):
            if path[:i] not in nodes:
                nodes[path[:i]] = nodes[path[: i - 1]].add(f"{escape(path[i - 1])}  [dim]{c.section_kind if i == len(path) else ''}[/dim]")
        nodes[path].add(f"[dim]{c.id[:8]}[/dim] {escape(c.text[:80].replace(chr(10), ' '))}…")
    output_console().print(tree)


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
