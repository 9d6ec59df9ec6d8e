"""Prompt files: YAML front matter + a Jinja2 body, one file per section kind.

A prompt file (``prompts/work.md``)::

    ---
    name: work                   # unique; variants use another name (work-concise)
    section: work                # section kind it drafts
    version: 1
    variables: [organisation, period, groups, passages]   # required, checked before any call
    budget: {context: 3000, output: 700}   # tiktoken tokens: the prompt may use `context`, the reply `output`
    target_chars: 600            # wanted length of the section body, in characters
    system: |                    # system message (a Jinja2 template too)
      你是……
    ---
    (user message: Jinja2 body)

Bodies render in a sandboxed Jinja2 environment with ``StrictUndefined``: a
missing variable is an error, never an empty block, and a user's template
cannot reach Python internals. The built-in folder is ``prompts/`` of the
checkout; a user folder (``--prompts DIR`` / ``prompts_dir``) overrides files of
the same ``name``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafter.errors import PromptError
from drafter.corpus.kinds import KINDS
from drafter.validation import explain_validation

BUILTIN_DIR = Path(str(resources.files("drafter.data").joinpath("prompts")))
"""Folder of the built-in prompt files: package data (``drafter/data/prompts/``), found through
:mod:`importlib.resources`, so a regular (non-editable) install has them too."""

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.S)


class Budget(BaseModel):
    """Token shares of one prompt (tiktoken cl100k tokens)."""

    model_config = ConfigDict(extra="forbid")
    context: int = Field(3000, gt=0, description="Max tokens of system + user messages.")
    output: int = Field(700, gt=0, description="Max tokens of the reply.")


class PromptMeta(BaseModel):
    """Front matter of a prompt file (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    section: str
    version: int | str = 1
    description: str = ""
    variables: list[str] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    target_chars: int = Field(500, gt=0)
    system: str = ""
    strategy: str | None = None


@functools.lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


@dataclass
class Prompt:
    """A loaded prompt file.

    Attributes:
        meta: the front matter. body: the user-message template text.
        path: the file. sha256: hash of the file bytes (recorded in eval runs).
    """

    meta: PromptMeta
    body: str
    path: Path
    sha256: str
    _vars: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.meta.name

    def variables(self) -> set[str]:
        """Variables the templates use (declared ones included)."""
        return set(self._vars) | set(self.meta.variables)

    def render(self, **values: Any) -> list[dict[str, str]]:
        """Render to chat messages ``[{"role": "system", ...}, {"role": "user", ...}]``.

        Raises:
            PromptError: a required variable is missing or the template fails.
        """
        missing = sorted(v for v in self.meta.variables if v not in values)
        if missing:
            raise PromptError(f"{self.path}: prompt '{self.name}' needs the variable(s) {', '.join(missing)}.")
        try:
            system = _env().from_string(self.meta.system).render(**values).strip()
            user = _env().from_string(self.body).render(**values).strip()
        except UndefinedError as exc:
            raise PromptError(f"{self.path}: prompt '{self.name}': {exc.message}.") from exc
        except TemplateError as exc:
            raise PromptError(f"{self.path}: prompt '{self.name}' failed to render: {exc}.") from exc
        msgs = [{"role": "system", "content": system}] if system else []
        msgs.append({"role": "user", "content": user})
        return msgs


def load_prompt(path: Path) -> Prompt:
    """Load and validate one prompt file.

    Raises:
        PromptError: no front matter, bad YAML, unknown key, unknown section kind or template syntax error.
    """
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"{path}: cannot read the prompt file ({exc}).") from exc
    m = _FRONT.match(text.replace("\r\n", "\n"))
    if not m:
        raise PromptError(f"{path}: a prompt file starts with YAML front matter between '---' lines.")
    try:
        data = yaml.safe_load(m.group(1)) or {}
        pm = PromptMeta(**data)
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: front matter is not valid YAML ({exc}).") from exc
    except ValidationError as exc:  # the front matter starts on line 2, after '---'
        raise PromptError(explain_validation(exc, str(path), model=PromptMeta, noun="front-matter key",
                                             text=m.group(1), first_line=2)) from exc
    if pm.section not in KINDS:
        raise PromptError(f"{path}: unknown section kind '{pm.section}'; use one of {', '.join(KINDS)}.")
    env = _env()
    try:
        used = meta.find_undeclared_variables(env.parse(pm.system)) | meta.find_undeclared_variables(env.parse(m.group(2)))
    except TemplateError as exc:
        raise PromptError(f"{path}: template syntax error: {exc}.") from exc
    return Prompt(pm, m.group(2), path, hashlib.sha256(raw).hexdigest(), set(used))


class PromptLibrary:
    """Built-in prompts, overridden by a user folder.

    Args:
        user_dir: optional folder of ``*.md`` prompt files; a file whose ``name``
            equals a built-in one replaces it.

    Raises:
        PromptError: a folder that does not exist, or a malformed file.
    """

    def __init__(self, user_dir: Path | None = None) -> None:
        self.prompts: dict[str, Prompt] = {}
        dirs = [BUILTIN_DIR] + ([Path(user_dir)] if user_dir else [])
        for d in dirs:
            if not d.is_dir():
                raise PromptError(f"Prompt folder {d} does not exist.")
            for f in sorted(d.glob("*.md")):
                if f.name.lower() == "readme.md":
                    continue
                p = load_prompt(f)
                self.prompts[p.name] = p

    def names(self) -> list[str]:
        """Prompt names, sorted by section order then name."""
        return sorted(self.prompts, key=lambda n: (KINDS.index(self.prompts[n].meta.section), n))

    def get(self, name: str) -> Prompt:
        """A prompt by name.

        Raises:
            PromptError: unknown name (listing the known ones).
        """
        if name not in self.prompts:
            raise PromptError(f"No prompt named '{name}'. Known: {', '.join(self.names())}.")
        return self.prompts[name]

    def for_section(self, kind: str, variant: str | None = None, prose: bool = False, family: str | None = None) -> Prompt:
        """The prompt for a section kind.

        Args:
            kind: section kind.
            prose: the prose family (strategies free, masked, slots …): prefer
                the prompt named ``{kind}-prose`` (same as ``family="prose"``).
            family: a prompt family: prefer the prompt named ``{family}-{kind}``
                (``weave-work``) or ``{kind}-{family}`` (``work-prose``).
            variant: optional variant: the prompt named ``{base}-{variant}``
                (``work-prose-concise``, ``weave-work-concise``) or ``{kind}-{variant}``.
                Default: the family's prompt, else the prompt named like the kind,
                else any prompt of that kind.

        Raises:
            PromptError: no such prompt (e.g. a user folder lacking a kind or variant).
        """
        family = family or ("prose" if prose else None)
        base = kind
        if family:
            base = next((n for n in (f"{family}-{kind}", f"{kind}-{family}") if n in self.prompts), f"{kind}-{family}")
        if variant:
            for name in (f"{base}-{variant}", f"{kind}-{variant}"):
                p = self.prompts.get(name)
                if p is not None and p.meta.section == kind:
                    return p
            raise PromptError(f"No prompt variant '{variant}' for the section kind '{kind}' (looked for '{base}-{variant}').")
        for name in (base, kind):
            if name in self.prompts and self.prompts[name].meta.section == kind:
                return self.prompts[name]
        for p in self.prompts.values():
            if p.meta.section == kind:
                return p
        raise PromptError(f"No prompt for the section kind '{kind}'. Add a file with 'section: {kind}' to the prompt folder.")
