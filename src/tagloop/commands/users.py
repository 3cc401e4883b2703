"""``tagloop users create|list|disable|enable|reset-password|delete|grant`` and
``tagloop tokens create|list|revoke``: accounts, from the server's own machine."""

from __future__ import annotations

from pathlib import Path

import click

from tagloop.cli import App, emit, fail, pass_app

ROLES = ("viewer", "annotator", "maintainer", "admin")


def _password(password_file: Path | None) -> str:
    """From the file's first line, else asked twice at the terminal (never an argument:
    it would show in the shell history and the process list)."""
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{password_file}: cannot read the password ({exc})")
        if not lines or not lines[0]:
            fail(f"{password_file}:1: the first line (the password) is empty")
        return lines[0]
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


password_option = click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the password from this file's first line (default: ask).",
)


@click.group()
def users() -> None:
    """User accounts and their roles (see docs/users.md)."""


@users.command()
@click.argument("login")
@click.option("--name", default="", help="The name shown in the history (default: LOGIN).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    help="admin: server-wide; otherwise a role on --project.",
)
@click.option("--project", "project_slug", metavar="NAME", help="The project for --role.")
@password_option
@click.option("--json", "as_json", is_flag=True, help="Print the user as JSON.")
@pass_app
def create(
    app: App,
    login: str,
    name: str,
    role: str | None,
    project_slug: str | None,
    password_file: Path | None,
    as_json: bool,
) -> None:
    """Create a user; ``--role admin`` makes the first admin of a fresh install."""
    from tagloop.service import users as service

    if role and role != "admin" and not project_slug:
        fail(f"--role {role} is a project role: add --project NAME")
    user = service.create(
        app.core.store, login, _password(password_file), name=name, admin=role == "admin"
    )
    if role and role != "admin":
        user = service.grant(app.core.store, login, app.core.project(project_slug), role)
    if as_json:
        emit(user)
        return
    click.echo(f"created user {user['login']!r}{' (admin)' if user['is_admin'] else ''}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one user a line.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Every user with their roles."""
    from tagloop.service import users as service

    rows = service.list_all(app.core.store)
    if as_json:
        for row in rows:
            emit(row)
        return
    click.echo(f"{'login':<24} {'name':<24} {'status':<9} roles")
    for row in rows:
        status = "disabled" if row["disabled"] else "active"
        roles = ", ".join(f"{p}: {r}" for p, r in row["roles"].items())
        if row["is_admin"]:
            roles = "admin" + (f"; {roles}" if roles else "")
        click.echo(f"{row['login']:<24} {row['name']:<24} {status:<9} {roles or '—'}")


@users.command()
@click.argument("login")
@pass_app
def disable(app: App, login: str) -> None:
    """Stop a user signing in; their sessions and tokens stop working at once."""
    from tagloop.service import users as service

    service.update(app.core.store, login, disabled=True)
    click.echo(f"disabled {login!r}")


@users.command()
@click.argument("login")
@pass_app
def enable(app: App, login: str) -> None:
    """Let a disabled user sign in again."""
    from tagloop.service import users as service

    service.update(app.core.store, login, disabled=False)
    click.echo(f"enabled {login!r}")


@users.command("reset-password")
@click.argument("login")
@password_option
@pass_app
def reset_password(app: App, login: str, password_file: Path | None) -> None:
    """Set a new password: ends the user's sessions and clears a lockout."""
    from tagloop.service import users as service

    service.update(app.core.store, login, password=_password(password_file))
    click.echo(f"password of {login!r} changed")


@users.command()
@click.argument("login")
@click.confirmation_option(prompt="Delete this user? Their history keeps their name.")
@pass_app
def delete(app: App, login: str) -> None:
    """Delete a user: password, tokens and roles go; their history stays attributed."""
    from tagloop.service import users as service

    service.delete_user(app.core.store, login)
    click.echo(f"deleted {login!r}")


@users.command()
@click.argument("login")
@click.option("--project", "project_slug", metavar="NAME", required=True)
@click.option(
    "--role",
    type=click.Choice(["viewer", "annotator", "maintainer", "none"]),
    required=True,
    help="none takes the role away.",
)
@pass_app
def grant(app: App, login: str, project_slug: str, role: str) -> None:
    """Give a user a role on a project (or take it away with ``--role none``)."""
    from tagloop.service import users as service

    service.grant(app.core.store, login, app.core.project(project_slug), role)
    click.echo(f"{login!r} is {role if role != 'none' else 'no longer on'} {project_slug!r}")


@click.group()
def tokens() -> None:
    """API tokens: 'Authorization: Bearer <token>' acts as their user."""


def _user_id(app: App, login: str) -> int:
    from tagloop.service import users as service

    return service.get(app.core.store, login)["id"]


@tokens.command("create")
@click.argument("login")
@click.option("--name", default="", help="What the token is for.")
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Default: never.")
@pass_app
def create_token(app: App, login: str, name: str, expires_days: int | None) -> None:
    """Create a token for a user and print it: it is shown this once."""
    from tagloop.service import users as service

    new = service.create_token(
        app.core.store, _user_id(app, login), name=name, expires_days=expires_days
    )
    click.echo(new.token)
    click.echo(
        f"token {new.info['id']} for {login!r}: store it now, it is not shown again", err=True
    )


@tokens.command("list")
@click.argument("login")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one token a line.")
@pass_app
def list_tokens(app: App, login: str, as_json: bool) -> None:
    """A user's tokens (their first characters only)."""
    from tagloop.service import users as service

    rows = service.list_tokens(app.core.store, _user_id(app, login))
    if as_json:
        for row in rows:
            emit(row)
        return
    click.echo(f"{'id':>4} {'prefix':<12} {'name':<20} {'expires':<21} last used")
    for row in rows:
        click.echo(
            f"{row['id']:>4} {row['prefix']:<12} {row['name']:<20} "
            f"{row['expires_at'] or 'never':<21} {row['last_used_at'] or 'never'}"
        )


@tokens.command()
@click.argument("login")
@click.argument("token_id", type=int)
@pass_app
def revoke(app: App, login: str, token_id: int) -> None:
    """Revoke one of a user's tokens (by the id 'tokens list' shows)."""
    from tagloop.service import users as service

    service.revoke_token(app.core.store, _user_id(app, login), token_id)
    click.echo(f"revoked token {token_id}")


COMMANDS = [users, tokens]
