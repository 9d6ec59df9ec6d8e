"""``drafter write --figures FILE``: draft a report or sections, check its numbers."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import typer

from drafter.config import drafter_home, file_in_the_way
from drafter.errors import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, DrafterError, InputError
from drafter.figures import load_figures
from drafter.drafting.lengths import parse_lengths
from drafter.files import new_file_mode
from drafter.cli.common import ChromaOpt, ConfigOpt, EmbedderOpt, EmbedUrlOpt, StoreOpt, make_drafter

FORMATS = ("markdown", "json", "docx")


def print_findings(draft, err=True) -> None:
    """Print remaining findings, one line each, with the offending text."""
    for sec in draft.sections:
        for f in sec.check.findings:
            where = f"「{f.text}」" if f.text else ""
            typer.secho(f"  [{f.kind}] {sec.heading or sec.kind}: {where} {f.explanation}".rstrip(), err=err, fg=typer.colors.YELLOW)


def check_output(path: Path, force: bool) -> None:
    """Refuse an output path the draft could not be written to, before any model call.

    Nothing is created: an existing folder is probed with a hidden temporary
    file (made and removed at once); for a folder still to be made, the nearest
    existing one must be writable.

    Raises:
        InputError: ``path`` is a folder; exists (without ``force``); lies under a
            file; or its folder cannot be written (read-only, no permission).
    """
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the draft a file name, e.g. -o {path / 'draft.md'}.")
    if path.exists() and not force:
        raise InputError(f"{path} exists; choose another -o or add --force to replace it.")
    blocker = file_in_the_way(path.parent)
    if blocker is not None:
        raise InputError(f"{path} cannot be written: {blocker} is a file, not a folder.", "Choose another -o.")
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    try:
        if folder == path.parent:
            fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
            os.close(fd)
            os.unlink(probe)
        elif not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(folder))
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise InputError(f"{path} cannot be written ({why} in {folder}).", "Choose another -o, or make that folder writable.") from exc


def save_aside(data: bytes, out: Path, store_dir: Path) -> Path | None:
    """Keep a draft whose ``-o`` could not be written: in ``drafts/`` beside the store
    (else in ``$DRAFTER_HOME/drafts``, else the temporary folder), under ``out``'s name
    with a time stamp. Returns the file written, or None when none of them is writable."""
    name = f"{out.stem}-{time.strftime('%Y%m%d-%H%M%S')}{out.suffix}"
    for folder in (store_dir.parent / "drafts", drafter_home() / "drafts", Path(tempfile.gettempdir()) / "drafter-drafts"):
        target, n = folder / name, 1
        while target.exists():
            n += 1
            target = folder / f"{out.stem}-{time.strftime('%Y%m%d-%H%M%S')}-{n}{out.suffix}"
        try:
            write_output(target, data, force=False)
            return target
        except InputError:
            continue
    return None


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
        os.fchmod(fd, new_file_mode())  # the user's normal permissions (umask), not mkstemp's 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the draft ({exc.strerror}).") from exc


def emit(draft, fmt: str, out: Path | None, force: bool, store_dir: Path | None = None) -> None:
    """Render ``draft`` as ``fmt`` and write it to ``out`` (or stdout); an incomplete draft says so on stderr.

    Raises:
        InputError: ``out`` could not be written after all; the draft is then saved
            with :func:`save_aside` (beside ``store_dir``) and the message says where.
    """
    if fmt == "json":
        data = json.dumps(draft.to_dict(), ensure_ascii=False, indent=2).encode("utf-8")
    elif fmt == "docx":
        from drafter.output.word import docx_bytes

        data = docx_bytes(draft)
    else:
        data = draft.markdown().encode("utf-8")
    if out:
        try:
            write_output(out, data, force)
        except InputError as exc:
            kept = save_aside(data, out, store_dir or drafter_home() / "store")
            if kept is None:
                raise
            raise InputError(f"{exc.message} The draft was not lost: it is saved to {kept}") from exc
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
        strategy: str = typer.Option(None, "--strategy", help="Number strategy: weave (default: the model writes the prose around Drafter's figure clauses), compose, free, masked, slots, grammar, masked-names."),
        length: str = typer.Option(None, "--length", help="Wanted Han characters per section, e.g. work=1200,problems=400 (default: the median of that kind in the past reports)."),
        script: str = typer.Option(None, "--script", help="simplified (default) or traditional."),
        variant: str = typer.Option(None, "--variant", help="Prompt variant (uses prompts named KIND-VARIANT)."),
        prompts: Path = typer.Option(None, "--prompts", help="User prompt folder overriding built-in prompts."),
        base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible server; default the embedded local model."),
        model: str = typer.Option(None, "--model", help="Model name on that server."),
        force: bool = typer.Option(False, "--force", help="Replace an existing -o file."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ask the model again instead of reusing cached replies to identical requests."),
        store: Path = StoreOpt, chroma_url: str = ChromaOpt, embedder: str = EmbedderOpt, embed_base_url: str = EmbedUrlOpt,
        config: Path = ConfigOpt,
    ) -> None:
        """Draft a report (or --section KIND) from figures, in the voice of past reports, and check every number.

        Exit status: 0 clean, 1 findings remain (numbers marked 〔待核：…〕, wording to edit 〔待改：…〕
        in the draft), 2 bad input.
        """
        fmt = fmt or (out.suffix.lstrip(".").replace("md", "markdown") if out and out.suffix in (".md", ".json", ".docx") else "markdown")
        if fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}.")
        if fmt == "docx" and not out:
            raise InputError("--format docx needs -o FILE.docx.")
        if script and script not in ("simplified", "traditional"):
            raise InputError("--script must be simplified or traditional.")
        lengths = parse_lengths(length)
        figure_set = load_figures(figures)
        for warning in figure_set.warnings:
            typer.secho(f"Warning: {warning}", err=True, fg=typer.colors.YELLOW)
        if out:
            check_output(out, force)
        d = make_drafter(config, store=store, chroma_url=chroma_url, embedder=embedder, embed_base_url=embed_base_url,
                         base_url=base_url, model=model, cache=False if no_cache else None)
        store_dir = d.settings.store_path()
        from drafter.cli.ingest import ChunkProgress

        ingesting = ChunkProgress()
        streamed = {"chars": 0, "shown": 0}

        def on_event(name: str, payload) -> None:
            if quiet:
                return
            if name == "ingest":  # --corpus (or the bundled corpus) being ingested first
                ingesting(payload)
            elif name == "section_start":
                streamed.update(chars=0, shown=0)
                typer.secho(f"… drafting {payload.heading or payload.kind}", err=True, dim=True)
            elif name == "token":
                # A count, not the model's raw text: in weave a reply is cut into parts, some dropped
                # or asked for again, so the stream is not the draft (the draft is printed at the end).
                streamed["chars"] += len(payload)
                if streamed["chars"] - streamed["shown"] >= 20:
                    streamed["shown"] = streamed["chars"]
                    typer.secho(f"\r  {streamed['chars']} characters from the model", err=True, nl=False, dim=True)
            elif name == "section_done":
                status = "clean" if payload.check.ok else f"{len(payload.check.findings)} finding(s)"
                typer.secho(f"\n✓ {payload.heading or payload.kind}: {status} ({payload.latency:.1f} s)", err=True, dim=True)

        draft = d.write(figure_set, sections=section or None, outline=outline, corpus=corpus or None, strategy=strategy,
                        script=script, prompt_variant=variant, prompts_dir=prompts, on_event=on_event, lengths=lengths or None)
        if not draft.complete:  # an error stopped the report: keep the finished sections, marked incomplete
            try:
                emit(draft, fmt, out, force, store_dir)
            except DrafterError as lost:
                typer.secho(f"  {lost}", err=True)
            typer.secho(f"Error: {draft.error}", err=True, fg=typer.colors.RED)  # as main() shows a DrafterError
            raise typer.Exit(EXIT_BAD_INPUT)
        emit(draft, fmt, out, force, store_dir)
        if d.model_calls and not quiet:
            typer.secho(f"model calls: {d.model_calls['calls']}, replies from the cache: {d.model_calls['cached']}", err=True, dim=True)
        if not draft.ok:
            typer.secho(f"The number guard found {len(draft.check.findings)} problem(s):", err=True, fg=typer.colors.YELLOW)
            print_findings(draft)
        advice = [f for f in draft.check.genre if f.kind == "length"]
        faults = [f for f in draft.check.genre if f.kind != "length"]
        if faults:
            typer.secho(f"The genre check found {len(faults)} thing(s) to edit:", err=True, fg=typer.colors.YELLOW)
            for f in faults:
                typer.secho(f"  {f.kind:<14} {f.text[:30]}  {f.explanation}", err=True)
        for f in advice:
            typer.secho(f"  [length] {f.explanation}", err=True, dim=True)
        if not draft.signable:
            raise typer.Exit(EXIT_FINDINGS)
        raise typer.Exit(EXIT_OK)
