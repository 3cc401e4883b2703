"""Settings come from TAGLOOP_* variables, parsed by type, with clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tagloop.config import Settings
from tagloop.secrets import load_secret_key


def test_defaults_and_parsing(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "TAGLOOP_HOME": str(tmp_path),
            "TAGLOOP_STORE_TEXT": "false",
            "TAGLOOP_MAX_BATCH": "50",
            "TAGLOOP_CORS_ORIGINS": "https://a.example, https://b.example",
            "TAGLOOP_LABEL_NAMES": '{"0": "negative"}',
            "TAGLOOP_MODEL_POLL_SECONDS": "0.25",
        }
    )
    assert settings.home == tmp_path and settings.store_text is False
    assert settings.max_batch == 50 and settings.model_poll_seconds == 0.25
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.label_names == {"0": "negative"}
    assert settings.db_url == f"sqlite:///{tmp_path / 'tagloop.db'}"
    assert Settings.from_env({}).max_text_length == 10_000


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TAGLOOP_MAX_BATCH", "lots", "TAGLOOP_MAX_BATCH"),
        ("TAGLOOP_STORE_TEXT", "maybe", "expected true or false"),
        ("TAGLOOP_LABEL_NAMES", "[1]", "JSON object"),
        ("TAGLOOP_RESPAWN_SECONDS", "0", "TAGLOOP_RESPAWN_SECONDS must be above 0"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({name: value})


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = load_secret_key(settings)
    assert len(first) >= 40
    assert load_secret_key(settings) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    assert load_secret_key(Settings(home=tmp_path, secret_key="from-env")) == "from-env"


def test_an_admin_token_shorter_than_16_characters_is_refused(tmp_path: Path) -> None:
    env = {"TAGLOOP_HOME": str(tmp_path), "TAGLOOP_ADMIN_TOKEN": "x" * 15}
    with pytest.raises(ValueError, match=r"TAGLOOP_ADMIN_TOKEN is 15 characters long.*16"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "TAGLOOP_ADMIN_TOKEN": "x" * 16}).admin_token == "x" * 16


def test_serve_refuses_to_start_with_a_short_admin_token(tmp_path: Path) -> None:
    import subprocess

    from tests.servers import TAGLOOP, server_env

    env = server_env(tmp_path, TAGLOOP_ADMIN_TOKEN="secret")
    result = subprocess.run(
        [TAGLOOP, "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "TAGLOOP_ADMIN_TOKEN is 6 characters long: use at least 16" in result.stderr
