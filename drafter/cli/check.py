"""``drafter check DRAFT --figures FILE [--context FILE]... [--kind KIND] [--format text|json|docx] [-o OUT]``: the guards.

The number guard (every number one of the figures, by its name) and the genre
check (tense, broken clauses, mixed script, empty items … :mod:`drafter.guard.genre`;
``--no-genre`` skips it; ``unsupported`` deliverables are judged only when the
figures file lists ``facts``, the work the draft may speak of).

DRAFT is a ``.docx`` (as edited in Word or WPS) or a UTF-8 text/Markdown file.
Findings name the paragraph (or line) and the headings it stands under. With
``--format docx -o checked.docx`` the document is written back with every
finding as a Word comment on the offending text.

Exit status: 0 when the draft is clean, 1 when there are findings (a genre
``length`` finding alone is advice), 2 for bad
input (a missing or unreadable file, a malformed figures file, an -o that
exists or is the draft itself).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from drafter.guard.check import allowed_text, check_draft
from drafter.guard.genre import check_genre
from drafter.corpus.kinds import parse_kind
from drafter.errors import EXIT_FINDINGS, InputError
from drafter.figures import load_figures
from drafter.files import write_atomic
from drafter.guard.findings import CheckResult
from drafter.output.review import DraftText, annotate_docx, read_draft, text_document

FORMATS = ("text", "json", "docx")


def read_text(path: Path, what: str) -> str:
    """Read a UTF-8 text file (BOM allowed).

    Raises:
        InputError: the file is missing, a folder, unreadable or not UTF-8.
    """
    if not path.exists():
        raise InputError(f"{path}: {what} not found.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the {what} file.")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: the {what} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror}).") from exc


def render(result: CheckResult, name: str, draft: DraftText | None = None) -> str:
    """Human-readable report: one line per finding with where it stands (and why the number was bound
    there), the figure count, then style notes."""
    lines = [f"{name}: " + ("clean" if result.ok else f"{len(result.findings)} finding(s)")]
    for f in result.findings:
        loc = draft.locate_finding(f) if draft is not None else None
        where = loc.label() if loc else (f"[{f.start}:{f.end}]" if f.start >= 0 else "")
        lines.append(f"  {f.kind:<13} {f.text or '-':<12} {f.explanation}" + (f"  ({where})" if where else ""))
        if f.binding and f.kind != "missing":
            lines.append(f"  {'':<13} {'':<12} ({f.binding})")
    found = sum(s.found for s in result.figures)
    lines.append(f"figures found: {found}/{len(result.figures)}")
    if result.genre or result.findings or result.figures:
        lines.append("genre: " + ("clean" if not result.genre else f"{len(result.genre)} to edit"))
    for f in result.genre:
        loc = draft.locate_finding(f) if draft is not None else None
        where = loc.label() if loc else (f"[{f.start}:{f.end}]" if f.start >= 0 else "")
        lines.append(f"  {f.kind:<13} {f.text[:24] or '-':<12} {f.explanation}" + (f"  ({where})" if where else ""))
    lines.extend(f"note: {n.explanation}" for n in result.notes)
    return "\n".join(lines)


def to_json(result: CheckResult, draft: DraftText) -> str:
    """The result as JSON, each finding with its ``location`` (paragraph or line, headings, table)."""
    data = result.to_dict()
    for key, found in (("findings", result.findings), ("genre", result.genre)):
        for f, d in zip(found, data[key]):
            loc = draft.locate_finding(f)
            d["location"] = loc.to_dict() if loc else None
    return json.dumps(data, ensure_ascii=False, indent=2)


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to ``app``."""

    @app.command("check")
    def check(
        draft: Path = typer.Argument(..., help="The draft to check: .docx (from Word/WPS), .md or .txt (UTF-8)."),
        figures: Path = typer.Option(..., "--figures", "-f", help="This period's figures (.yaml, .json, .csv, .xlsx)."),
        context: list[Path] = typer.Option(
            [], "--context", "-c", help="A passage the model saw (repeatable): numbers copied from it are stale, its names in the draft stale_name, runs of 20+ characters copied."
        ),
        fmt: str = typer.Option(None, "--format", help="text (default), json, or docx: the draft back with each finding as a Word comment (needs -o)."),
        out: Path = typer.Option(None, "-o", "--out", help="Write the result here (for --format docx: the commented .docx) instead of the terminal."),
        force: bool = typer.Option(False, "--force", help="Replace an existing -o file."),
        as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
        kind: str = typer.Option(None, "--kind", help="Section kind of DRAFT (work, problems, next_steps, opening); default: a whole report, cut at its 一、… headings."),
        genre: bool = typer.Option(True, "--genre/--no-genre", help="Also read the draft as the genre does (tense, broken clauses, mixed script, empty items …)."),
    ) -> None:
        """Check that every number in DRAFT is one of the figures, standing by its name, and that the draft reads as a report."""
        fmt = fmt or ("json" if as_json else ("docx" if out is not None and out.suffix.lower() == ".docx" else "text"))
        if fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}.")
        if fmt == "docx" and out is None:
            raise InputError("--format docx needs -o FILE.docx (the draft itself is never overwritten).")
        if out is not None and out.resolve() == draft.resolve():
            raise InputError(f"{out}: -o is the draft itself; choose another file (the draft is never overwritten).")
        if out is not None and out.exists() and not force:
            raise InputError(f"{out} exists; choose another -o or add --force to replace it.")
        doc = read_draft(draft)
        figure_set = load_figures(figures)
        for warning in figure_set.warnings:
            typer.secho(f"Warning: {warning}", err=True, fg=typer.colors.YELLOW)
        passages = [read_text(p, "context passage") for p in context]
        if fmt == "docx":
            doc = text_document(doc)  # a text draft becomes a document first (a .docx stays as it is)
        result = check_draft(doc.text, figure_set, passages)
        if genre:
            section = parse_kind(kind, "--kind") if kind else None
            user = allowed_text(figure_set) if figure_set.facts else None
            result.genre = check_genre(doc.text, section, figures=figure_set.figures, user_text=user)
        if fmt == "docx":
            marks = result.all_findings()
            write_atomic(out, annotate_docx(doc, marks), force=force, what="checked document")
            typer.echo(render(result, str(draft), doc))
            typer.secho(f"Wrote {out}: {len(marks)} comment(s).", err=True)
        else:
            shown = to_json(result, doc) if fmt == "json" else render(result, str(draft), doc)
            if out is not None:
                write_atomic(out, (shown + "\n").encode("utf-8"), force=force, what="check result")
                typer.secho(f"Wrote {out}.", err=True)
            else:
                typer.echo(shown)
        if not result.signable:
            # SystemExit, not typer.Exit: main() runs the app with standalone_mode=False,
            # where click turns typer.Exit into a return value and the status would be lost.
            raise SystemExit(EXIT_FINDINGS)
