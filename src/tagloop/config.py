"""One typed settings object, read from ``TAGLOOP_*`` environment variables.

Nothing here touches the disk at import; ``Settings.from_env()`` reads the environment and
``ensure_home()`` creates the home folder when a command actually needs it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _mapping(value: str) -> dict[str, str]:
    parsed = json.loads(value) if value.strip() else {}
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise ValueError('expected a JSON object of strings, e.g. {"ham": "not spam"}')
    return {str(k): v for k, v in parsed.items()}


MIN_ADMIN_TOKEN_LENGTH = 16  # a shorter token can be guessed by a client that keeps trying


def default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "tagloop"


@dataclass
class Settings:
    """Every setting, with its environment variable name in the ``env`` metadata."""

    home: Path = field(default_factory=default_home, metadata={"env": "TAGLOOP_HOME"})
    database_url: str = field(default="", metadata={"env": "TAGLOOP_DATABASE_URL"})
    data: str = field(default="", metadata={"env": "TAGLOOP_DATA"})
    admin_token: str = field(default="", metadata={"env": "TAGLOOP_ADMIN_TOKEN"})
    login_rate_limit: str = field(
        default="10 per minute", metadata={"env": "TAGLOOP_LOGIN_RATE_LIMIT"}
    )
    session_hours: float = field(default=12.0, metadata={"env": "TAGLOOP_SESSION_HOURS"})
    secret_key: str = field(default="", metadata={"env": "TAGLOOP_SECRET_KEY"})
    store_text: bool = field(default=True, metadata={"env": "TAGLOOP_STORE_TEXT"})
    retention_days: int = field(default=0, metadata={"env": "TAGLOOP_RETENTION_DAYS"})
    default_project: str = field(default="default", metadata={"env": "TAGLOOP_DEFAULT_PROJECT"})
    max_loaded_models: int = field(default=32, metadata={"env": "TAGLOOP_MAX_LOADED_MODELS"})
    max_text_length: int = field(default=10_000, metadata={"env": "TAGLOOP_MAX_TEXT_LENGTH"})
    max_batch: int = field(default=1_000, metadata={"env": "TAGLOOP_MAX_BATCH"})
    # Explaining a text costs far more than classifying it (a batch of 1,000 took 25-39 s of
    # a worker): a batch with ?explain=true may hold at most this many texts.
    max_explain_batch: int = field(default=50, metadata={"env": "TAGLOOP_MAX_EXPLAIN_BATCH"})
    max_body_bytes: int = field(
        default=16 * 1024 * 1024, metadata={"env": "TAGLOOP_MAX_BODY_BYTES"}
    )
    rate_limit: str = field(default="6000 per minute", metadata={"env": "TAGLOOP_RATE_LIMIT"})
    rate_limit_storage: str = field(
        default="memory://", metadata={"env": "TAGLOOP_RATE_LIMIT_STORAGE"}
    )
    proxy_hops: int = field(default=0, metadata={"env": "TAGLOOP_PROXY_HOPS"})
    cors_origins: list[str] = field(default_factory=list, metadata={"env": "TAGLOOP_CORS_ORIGINS"})
    label_names: dict[str, str] = field(
        default_factory=lambda: {"ham": "not spam"}, metadata={"env": "TAGLOOP_LABEL_NAMES"}
    )
    host: str = field(default="127.0.0.1", metadata={"env": "TAGLOOP_HOST"})
    port: int = field(default=8000, metadata={"env": "TAGLOOP_PORT"})
    workers: int = field(
        default_factory=lambda: os.cpu_count() or 1, metadata={"env": "TAGLOOP_WORKERS"}
    )
    model_poll_seconds: float = field(default=0.5, metadata={"env": "TAGLOOP_MODEL_POLL_SECONDS"})
    # On SIGHUP granian starts a new worker, waits this long, then stops the old one, without
    # asking whether the new one listens yet: room for a slow start (docs/deployment.md).
    respawn_seconds: float = field(default=12.0, metadata={"env": "TAGLOOP_RESPAWN_SECONDS"})
    queue_url: str = field(default="", metadata={"env": "TAGLOOP_QUEUE_URL"})
    auto_retrain_after: int = field(default=0, metadata={"env": "TAGLOOP_AUTO_RETRAIN_AFTER"})
    auto_promote_metric: str = field(default="", metadata={"env": "TAGLOOP_AUTO_PROMOTE_METRIC"})
    auto_promote_margin: float = field(default=0.0, metadata={"env": "TAGLOOP_AUTO_PROMOTE_MARGIN"})

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser()
        if not self.respawn_seconds > 0:
            raise ValueError(f"TAGLOOP_RESPAWN_SECONDS must be above 0, not {self.respawn_seconds}")
        if self.admin_token and len(self.admin_token) < MIN_ADMIN_TOKEN_LENGTH:
            raise ValueError(
                f"TAGLOOP_ADMIN_TOKEN is {len(self.admin_token)} characters long: use at least "
                f"{MIN_ADMIN_TOKEN_LENGTH} (make one with: python3 -c "
                "'import secrets; print(secrets.token_urlsafe(32))')"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        defaults = cls()
        for f in fields(cls):
            name = f.metadata["env"]
            if name not in env:
                continue
            raw = env[name]
            current = getattr(defaults, f.name)
            try:
                values[f.name] = _parse(raw, current)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        values.update(overrides)
        return cls(**values)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'tagloop.db'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        return self.home


def _parse(raw: str, current: Any) -> Any:
    if isinstance(current, bool):
        return _bool(raw)
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, Path):
        return Path(raw)
    if isinstance(current, list):
        return _list(raw)
    if isinstance(current, dict):
        return _mapping(raw)
    return raw


def env_names() -> list[str]:
    """Every environment variable tagloop reads (docs are checked against this list)."""
    return [f.metadata["env"] for f in fields(Settings)]
