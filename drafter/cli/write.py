"""``drafter write --figures FILE``: draft a report or sections, check its numbers."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import typer

from ..errors import EXIT_FINDINGS, EXIT_OK, DrafterError, InputError
from .common import ChromaOpt, ConfigOpt, EmbedderOpt, StoreOpt, make_drafter

FORMATS = ("markdown", "json", "docx")


def print_findings(draft, err=True) -> None:
    """Print remaining findings, one line each, with the offending text."""
    for sec in draft.sections:
        for f in sec.check.findings:
            where = f"「{f.text}」" if f.text else ""
            typer.secho(f"  [{f.kind}] {sec.heading or sec.kind}: {where} {f.explanation}".rstrip(), err=err, fg=typer.colors.YELLOW)


def write_output(path: Path, data: bytes, force: bool) -> None:
    """Write ``data`` to ``path`` atomically; an existing file is kept unless ``force``.

    Raises:
        InputError: the file exists (without ``force``) or cannot be written.
    """
    if path.exists() and not force:
        raise InputError(f"{path} exists; choose another -o or add --force to replace it.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the draft ({exc.strerror}).") from exc


def emit(draft, fmt: str, out: Path | None, force: bool) -> None:
    """Render ``draft`` as ``fmt`` and write it to ``out`` (or stdout); an incomplete draft says so on stderr."""
    if fmt == "json":
        data = json.dumps(draft.to_dict(), ensure_ascii=False, indent=2).encode("utf-8")
    elif fmt == "docx":
        from ..docx_out import docx_bytes

        data = docx_bytes(draft)
    else:
        data = draft.markdown().encode("utf-8")
    if out:
        write_output(out, data, force)
    else:
        typer.echo(data.decode("utf-8"))
    for sec in draft.sections:
        for warning in sec.warnings:
            typer.secho(f"  [warning] {sec.heading or sec.kind}: {warning}", err=True, fg=typer.colors.YELLOW)
    done = f"{len(draft.sections)} of {len(draft.sections) + len(draft.missing)} sections" if draft.missing else ""
    if out:
        typer.secho(f"Wrote {out}" + (f" (incomplete: {done})" if done else ""), err=True)
    elif done:
        typer.secho(f"The draft above is incomplete ({done}).", err=True)


def register(app: typer.Typer) -> None:
    @app.command()
    def write(
        figures: Path = typer.Option(..., "--figures", "-f", help="Figures file (.yaml .json .csv .xlsx)."),
        section: list[str] = typer.Option(None, "--section", "-s", help="Section kind(s) to write (work, opening, problems, next_steps or 工作开展情况 …); default the whole report."),
        outline: Path = typer.Option(None, "--outline", help="YAML outline of the report's sections."),
        corpus: list[Path] = typer.Option(None, "--corpus", help="Past reports to ingest first and draw on (default: the store; the bundled corpus when empty)."),
        out: Path = typer.Option(None, "-o", "--out", help="Write the draft to this file instead of the terminal."),
        fmt: str = typer.Option(None, "--format", help="markdown (default), json or docx (docx needs -o)."),
        strategy: str = typer.Option(None, "--strategy", help="Number strategy: compose (default), free, masked, slots, grammar, masked-names."),
        script: str = typer.Option(None, "--script", help="simplified (default) or traditional."),
        variant: str = typer.Option(None, "--variant", help="Prompt variant (uses prompts named KIND-VARIANT)."),
        prompts: Path = typer.Option(None, "--prompts", help="User prompt folder overriding built-in prompts."),
        base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible server; default the embedded local model."),
        model: str = typer.Option(None, "--model", help="Model name on that server."),
        force: bool = typer.Option(False, "--force", help="Replace an existing -o file."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
        store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, config: Path = ConfigOpt,
    ) -> None:
        """Draft a report (or --section KIND) from figures, in the voice of past reports, and check every number.

        Exit status: 0 clean, 1 findings remain (marked 〔待核：…〕 in the draft), 2 bad input.
        """
        fmt = fmt or (out.suffix.lstrip(".").replace("md", "markdown") if out and out.suffix in (".md", ".json", ".docx") else "markdown")
        if fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}.")
        if fmt == "docx" and not out:
            raise InputError("--format docx needs -o FILE.docx.")
        if script and script not in ("simplified", "traditional"):
            raise InputError("--script must be simplified or traditional.")
        if out and out.exists() and not force:
            raise InputError(f"{out} exists; choose another -o or add --force to replace it.")
        d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder, base_url=base_url, model=model)

        def on_event(name: str, payload) -> None:
            if quiet:
                return
            if name == "section_start":
                typer.secho(f"… drafting {payload.heading or payload.kind}", err=True, dim=True)
            elif name == "token":
                typer.echo(payload, err=True, nl=False)
            elif name == "section_done":
                status = "clean" if payload.check.ok else f"{len(payload.check.findings)} finding(s)"
                typer.secho(f"\n✓ {payload.heading or payload.kind}: {status} ({payload.latency:.1f} s)", err=True, dim=True)

        try:
            draft = d.write(figures, sections=section or None, outline=outline, corpus=corpus or None, strategy=strategy,
                            script=script, variant=variant, prompts_dir=prompts, on_event=on_event)
        except DrafterError as exc:
            if exc.draft is not None:  # keep the sections finished before the error, marked incomplete
                emit(exc.draft, fmt, out, force)
            raise
        emit(draft, fmt, out, force)
        if not draft.ok:
            typer.secho(f"The number guard found {len(draft.check.findings)} problem(s):", err=True, fg=typer.colors.YELLOW)
            print_findings(draft)
            raise typer.Exit(EXIT_FINDINGS)
        raise typer.Exit(EXIT_OK)
