"""The shell commands in README.md and docs/ are real: every ``drafter …`` command parses, and the
everyday ones run.

What this covers:

* **Parsed, all of them.** Every line of a fenced code block that starts with ``drafter``
  (continuation lines joined, ``;`` pipes ``|`` and redirections ``>`` cut, ``# comments``
  dropped) is parsed by the real command tree exactly as the shell would hand it over:
  the command path exists, every option exists, required options and arguments are there.
  Every inline code span ```drafter …``` in the prose is checked more loosely (it may name
  only a command, or elide arguments with ``…``): the command path and every option it uses exist.
* **Run, the offline ones.** The code-block commands of ``ingest``, ``search``, ``corpus``,
  ``write``, ``check``, ``figures`` and ``prompts`` run as subprocesses in a scratch folder,
  with the ``hash`` embedder and a real local HTTP chat server (``tests/fake_servers.ChatServer``)
  standing in for the model; the files they name (``figures.yaml``, ``draft.docx``,
  ``old-report.txt``, ``~/reports/``, ``../shared/corpus``) are made from the bundled corpus and
  example figures. They must exit 0, or 1 where a check finds faults, without a traceback.
* **Not run:** ``drafter eval …`` (a suite run drafts 29 cases × variants; ``compare`` and
  ``rescore`` need run folders; ``eval retrieval`` ingests both labelled corpora) — parsed only;
  ``make demo`` / ``make test`` are run by CI itself.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest
import typer.main

from drafter.cli.main import app
from conftest import BUNDLED_CORPUS, REPO, SHARED_CORPUS
from fake_servers import ChatServer
from test_drafting import json_writer

DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
RUNNABLE = {"ingest", "search", "corpus", "write", "check", "figures", "prompts"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"(?<!`)`(drafter [^`]+)`(?!`)")
CUT = {";", "|", "&&", "||", ">", ">>", "2>", "<"}


@dataclass(frozen=True)
class Command:
    file: str
    line: int
    argv: tuple[str, ...]
    block: bool

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: drafter {shlex.join(self.argv)}"


def _split(text: str) -> list[list[str]]:
    """The drafter commands of one shell line (after ``drafter``)."""
    text = re.sub(r"(^|\s)#.*$", "", text)
    out: list[list[str]] = []
    current: list[str] | None = None
    for tok in shlex.split(text):
        if tok in CUT or tok.startswith(">"):
            if current is not None:
                out.append(current)
            current = None
            continue
        if current is None:
            current = [] if tok == "drafter" else None
            if current is None:
                continue
        else:
            current.append(tok)
    if current is not None:
        out.append(current)
    return out


def documented_commands() -> list[Command]:
    cmds: list[Command] = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(REPO))
        blocks = []
        for m in FENCE.finditer(text):
            if m.group(1) not in ("", "bash", "sh", "shell", "console"):
                continue
            blocks.append((m.start(), m.end()))
            start_line = text.count("\n", 0, m.start(2)) + 1
            lines = m.group(2).split("\n")
            i = 0
            while i < len(lines):
                line, first = lines[i], i
                while line.rstrip().endswith("\\") and i + 1 < len(lines):
                    i += 1
                    line = line.rstrip()[:-1] + " " + lines[i]
                i += 1
                for argv in _split(line.lstrip("$ ")):
                    cmds.append(Command(rel, start_line + first, tuple(argv), True))
        for m in INLINE.finditer(text):
            if any(a <= m.start() < b for a, b in blocks):
                continue
            span = " ".join(m.group(1).split()).replace("…", " ").replace("...", " ")
            span = span.replace("[", " ").replace("]", " ")
            line = text.count("\n", 0, m.start()) + 1
            for argv in _split(span):
                # `drafter eval run|rescore|compare`: alternatives
                alts = [argv]
                for k, tok in enumerate(argv[:3]):
                    if "|" in tok:
                        alts = [argv[:k] + [t] + argv[k + 1:] for t in tok.split("|")]
                        break
                cmds.extend(Command(rel, line, tuple(a), False) for a in alts)
    return cmds


COMMANDS = documented_commands()
ROOT = typer.main.get_command(app)


def _resolve(argv: tuple[str, ...]):
    """(command, its name, the arguments left) after walking the subcommand path."""
    cmd, name, args = ROOT, "drafter", list(argv)
    while hasattr(cmd, "commands") and args and not args[0].startswith("-"):
        sub = cmd.commands.get(args[0])
        assert sub is not None, f"no command '{args[0]}' under '{name}'"
        cmd, name, args = sub, args[0], args[1:]
    return cmd, name, args


def test_the_docs_have_commands():
    blocks = [c for c in COMMANDS if c.block]
    assert len(blocks) >= 20 and len(COMMANDS) >= 40
    named = {c.argv[0] for c in COMMANDS if c.argv}
    assert {"ingest", "search", "write", "check", "figures", "corpus", "prompts", "eval"} <= named


@pytest.mark.parametrize("cmd", COMMANDS, ids=str)
def test_documented_command_parses(cmd: Command):
    command, name, args = _resolve(cmd.argv)
    if cmd.block:
        parent = ROOT.make_context("drafter", [], resilient_parsing=True)
        command.make_context(name, list(args), parent=parent)  # raises UsageError on any mistake
        return
    opts = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    for tok in args:
        if tok.startswith("-") and tok not in ("-", "--"):
            assert tok.split("=", 1)[0] in opts, f"{cmd}: '{tok}' is not an option of drafter {name}"


# ---------------------------------------------------------------- running the everyday ones


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A scratch folder holding the files the README's commands name, and the environment to run them."""
    root = tmp_path_factory.mktemp("docs")
    work, home = root / "work", root / "home"
    (home / "reports").mkdir(parents=True)
    work.mkdir()
    for name in ("2023-liutang-village-summary.txt", "2024-liutang-village-summary.txt"):
        shutil.copy(BUNDLED_CORPUS / name, home / "reports" / name)
    (root / "shared").mkdir()
    (root / "shared" / "corpus").symlink_to(SHARED_CORPUS, target_is_directory=True)  # ../shared/corpus from work/
    shutil.copy(BUNDLED_CORPUS / "figures-example.yaml", work / "figures.yaml")
    shutil.copy(BUNDLED_CORPUS / "2024-liutang-village-summary.txt", work / "old-report.txt")
    (work / "draft.md").write_text("## 一、工作开展情况\n\n一是新建改造农村公路4.6公里，安装太阳能路灯60盏。\n", encoding="utf-8")
    import docx

    d = docx.Document()
    d.add_paragraph("一、工作开展情况", style="Heading 1")
    d.add_paragraph("新建改造农村公路4.5公里，安装太阳能路灯62盏。")
    d.save(work / "draft.docx")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTER_")}
    env.update({"PYTHONPATH": str(REPO), "HOME": str(home), "DRAFTER_HOME": str(home / ".drafter"),
                "DRAFTER_EMBEDDER": "hash", "DRAFTER_MODEL": "fake"})
    res = subprocess.run([sys.executable, "-m", "drafter.cli", "ingest", str(home / "reports")], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)  # so that each command also runs alone
    assert res.returncode == 0, res.stderr
    with ChatServer(json_writer) as srv:
        env["DRAFTER_BASE_URL"] = srv.base_url
        yield work, env, srv


RUN = [c for c in COMMANDS if c.block and c.argv and c.argv[0] in RUNNABLE
       and not any("gpu-box" in a for a in c.argv)]  # the embedding-server example needs that server


def test_runnable_commands_are_found():
    assert len(RUN) >= 12


@pytest.mark.parametrize("cmd", RUN, ids=str)
def test_documented_command_runs(cmd: Command, sandbox):
    work, env, _ = sandbox
    argv = [os.path.expanduser(a.replace("~", env["HOME"], 1)) if a.startswith("~") else a for a in cmd.argv]
    if "-o" in argv:  # each run writes afresh
        out = work / argv[argv.index("-o") + 1]
        out.unlink(missing_ok=True)
    res = subprocess.run([sys.executable, "-m", "drafter.cli", *argv], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode in (0, 1), f"{cmd} exited {res.returncode}: {res.stderr[-400:]}"
    if res.returncode == 1:
        assert argv[0] in ("write", "check"), f"{cmd}: exit 1 is for findings only"
    assert res.stdout.strip() or "-o" in argv, f"{cmd} printed nothing"
