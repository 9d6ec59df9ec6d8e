"""``drafter serve``: the local web page for office staff."""

from __future__ import annotations

from pathlib import Path

import typer

from drafter.cli.common import ChromaOpt, ConfigOpt, EmbedderOpt, StoreOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; anything but loopback needs --token."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
        token: str = typer.Option(None, "--token", envvar="DRAFTER_SERVE_TOKEN",
                                  help="Access token every request must carry (or $DRAFTER_SERVE_TOKEN); required off loopback."),
        base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible server; default the embedded local model."),
        model: str = typer.Option(None, "--model", help="Model name on that server."),
        store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, config: Path = ConfigOpt,
    ) -> None:
        """Serve the page: past reports, figures, a checked draft to edit, Word out (Ctrl-C stops it).

        Drafts are kept with their inputs in $DRAFTER_HOME/drafts/; the model is started once; drafts are written one at a time.
        """
        import uvicorn

        from drafter.config import load_settings
        from drafter.web.app import create_app
        from drafter.web.security import check_bind, is_loopback

        check_bind(host, token)
        settings = load_settings(config, store=store, chroma_url=chroma_url, embedder=embedder, base_url=base_url, model=model)
        app = create_app(settings, token=token)
        shown = f"[{host}]" if ":" in host else host
        if not is_loopback(host):
            shown = "THIS-MACHINE" if host in ("0.0.0.0", "::") else shown
        address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
        typer.secho(f"Drafter page: {address}  (Ctrl-C stops it)", err=True, fg=typer.colors.GREEN)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
