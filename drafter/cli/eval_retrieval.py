"""``drafter eval retrieval``: recall@k and MRR of dense, BM25 and hybrid on the labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from drafter.cli.common import ChromaOpt, ConfigOpt, EmbedderOpt, EmbedUrlOpt, StoreOpt, make_drafter


def register_retrieval(eval_app: typer.Typer) -> None:
    """Add the ``retrieval`` command to the ``drafter eval`` sub-app."""

    @eval_app.command("retrieval")
    def retrieval(
        k: int = typer.Option(5, "--k", help="Cut-off of recall@k."),
        queries: Path = typer.Option(None, "--queries", help="Labelled query file (default evals/retrieval/queries.yaml)."),
        corpus: list[Path] = typer.Option(None, "--corpus", help="A corpus the labels refer to (repeatable; default: corpora.yaml beside the query file)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON with per-query ranks."),
        store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, embed_base_url: str = EmbedUrlOpt,
        config: Path = ConfigOpt,
    ) -> None:
        """Score dense, BM25 and hybrid retrieval on the labelled queries (ingests the labelled corpora first)."""
        from drafter.index.retrieval_eval import DEFAULT_QUERIES, evaluate_retrieval, render_table

        d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder, embed_base_url=embed_base_url)
        report = evaluate_retrieval(d, queries or DEFAULT_QUERIES, k=k, corpora=corpus or None)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(render_table(report))
