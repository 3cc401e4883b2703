"""``tagloop users`` and ``tagloop tokens`` through click's runner, on a fresh home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagloop.cli import main
from tagloop.config import Settings
from tagloop.service import users
from tagloop.store import Store

PASSWORD = "a long enough password"


def run(env: dict[str, str], *args: str, ok: bool = True, stdin: str | None = None) -> str:
    result = CliRunner(env=env).invoke(main, list(args), input=stdin)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"TAGLOOP_HOME": str(tmp_path / "home"), "TAGLOOP_DATABASE_URL": ""}


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def store(env: dict[str, str]) -> Store:
    return Store.open(Settings.from_env(env))


def test_the_first_admin_from_a_password_file_then_users_tokens_and_roles(env, password_file):
    out = run(
        env, "users", "create", "root", "--role", "admin", "--password-file", str(password_file)
    )
    assert "created user 'root' (admin)" in out
    run(
        env,
        "users",
        "create",
        "ada",
        "--name",
        "Ada L.",
        "--role",
        "annotator",
        "--project",
        "default",
        "--password-file",
        str(password_file),
    )
    listed = [json.loads(line) for line in run(env, "users", "list", "--json").splitlines()]
    assert [(u["login"], u["is_admin"], u["roles"]) for u in listed] == [
        ("ada", False, {"default": "annotator"}),
        ("root", True, {}),
    ]
    run(env, "users", "grant", "ada", "--project", "default", "--role", "maintainer")
    token = run(env, "tokens", "create", "ada", "--name", "ci").splitlines()[0]
    db = store(env)
    try:
        who = users.token_caller(db, token)
        assert who is not None and who.name == "Ada L."
        assert "ci" in run(env, "tokens", "list", "ada")
        token_id = json.loads(run(env, "tokens", "list", "ada", "--json"))["id"]
        run(env, "tokens", "revoke", "ada", str(token_id))
        assert users.token_caller(db, token) is None
        run(env, "users", "disable", "ada")
        with pytest.raises(users.WrongCredentials):
            users.sign_in(db, "ada", PASSWORD)
        run(env, "users", "enable", "ada")
        run(env, "users", "reset-password", "ada", stdin="another long password\n" * 2)
        assert users.sign_in(db, "ada", "another long password").user_id is not None
        run(env, "users", "delete", "ada", "--yes")
        assert [u["login"] for u in users.list_all(db)] == ["root"]
    finally:
        db.close()


def test_the_password_is_asked_twice_when_no_file_is_given(env):
    run(env, "users", "create", "root", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    db = store(env)
    try:
        assert users.sign_in(db, "root", PASSWORD).admin
    finally:
        db.close()


def test_errors_name_the_problem(env, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert f"{empty}:1: the first line (the password) is empty" in run(
        env, "users", "create", "root", "--password-file", str(empty), ok=False
    )
    short = tmp_path / "short"
    short.write_text("short\n")
    assert "too short" in run(
        env, "users", "create", "root", "--password-file", str(short), ok=False
    )
    assert "add --project" in run(
        env, "users", "create", "ada", "--role", "viewer", "--password-file", str(short), ok=False
    )
    assert "does not exist" in run(env, "users", "disable", "nobody", ok=False)
