"""``drafter search QUERY``: show the past passages retrieval finds."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from drafter.cli.common import ChromaOpt, ConfigOpt, EmbedderOpt, EmbedUrlOpt, StoreOpt, make_drafter


def register(app: typer.Typer) -> None:
    @app.command()
    def search(
        query: str = typer.Argument(..., help="Search text, in either script."),
        k: int = typer.Option(5, "--k", help="Number of passages."),
        kind: list[str] = typer.Option(None, "--kind", help="Section kind(s): opening, work, problems, next_steps (or 存在问题 …)."),
        year_from: int = typer.Option(None, "--year-from"), year_to: int = typer.Option(None, "--year-to"),
        source: list[str] = typer.Option(None, "--source", help="Only passages from these files."),
        mode: str = typer.Option("hybrid", "--mode", help="hybrid, dense or bm25."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, embed_base_url: str = EmbedUrlOpt,
        config: Path = ConfigOpt,
    ) -> None:
        """Search past reports: hybrid dense + BM25, fused by RRF, diversified by MMR."""
        from drafter.corpus.kinds import parse_kind
        from drafter.index.retrieval import Filters

        d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder, embed_base_url=embed_base_url)
        sources = [str(Path(s).resolve()) for s in source] if source else None
        filters = Filters(kinds=[parse_kind(x, "--kind") for x in kind] if kind else None, year_from=year_from, year_to=year_to, sources=sources)
        hits = d.search(query, k=k, filters=filters, mode=mode)
        if as_json:
            typer.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
            return
        if not hits:
            typer.echo("No passages found.")
        for i, h in enumerate(hits, 1):
            c = h.chunk
            typer.secho(f"{i}. {c.report_title}  ›  {' › '.join(c.section_path) or '(lead)'}", bold=True)
            typer.echo(f"   score {h.score:.4f} · {'+'.join(h.retrievers)} · {c.section_kind} · {c.year or '-'}")
            typer.echo("   " + c.text.replace("\n", " ")[:240])
