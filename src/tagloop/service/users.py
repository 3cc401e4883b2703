"""User accounts: create, sign in, disable, reset a password, delete; roles per project;
API tokens.

Passwords are stored as argon2id hashes (argon2-cffi). A token is 256 random bits shown
once and stored as its SHA-256. Deleting a user keeps the row, scrubbed of its password,
tokens and roles, so the feedback, jobs and activations it made stay attributed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tagloop.service.access import PROJECT_ROLES, Caller, Role
from tagloop.service.errors import Conflict, Invalid, NotFound, ServiceError
from tagloop.service.projects import ProjectRef
from tagloop.service.sessions import end_all_in as end_sessions
from tagloop.store import Store
from tagloop.store.models import ApiToken, Project, ProjectRole, User, utcnow

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,199}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# Sign-in lockout: this many wrong passwords in a row lock the account for LOCKOUT.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "tlp_"  # noqa: S105 - a marker, not a secret
# A token's last-used time is written at most this often (not on every request).
LAST_USED_EVERY = timedelta(seconds=60)

_hasher = PasswordHasher()
# Verified against when the login does not exist, so an unknown login costs the same time
# as a wrong password and does not reveal which logins exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WrongCredentials(ServiceError):
    status, code = 401, "invalid_credentials"


class LockedOut(ServiceError):
    status, code = 429, "locked_out"


class UserOut(TypedDict):
    id: int
    login: str
    name: str
    is_admin: bool
    disabled: bool
    deleted: bool
    created_at: str
    roles: dict[str, str]


class TokenOut(TypedDict):
    id: int
    name: str
    prefix: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once, never stored
    info: TokenOut


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def check_login(login: str) -> str:
    login = login.strip().lower()
    if not LOGIN.match(login):
        raise Invalid(
            f"login {login!r} is not valid: 1-200 of a-z, 0-9 and . _ @ + -, "
            "starting with a letter or digit",
            code="invalid_login",
        )
    return login


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            f"the password is too short: at least {MIN_PASSWORD} characters",
            code="weak_password",
        )
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


def has_users(store: Store) -> bool:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(User)) != 0


def _out(user: User, roles: dict[str, str]) -> UserOut:
    return {
        "id": user.id,
        "login": user.login,
        "name": user.name or user.login,
        "is_admin": user.is_admin,
        "disabled": user.disabled,
        "deleted": user.deleted_at is not None,
        "created_at": _iso(user.created_at) or "",
        "roles": roles,
    }


def _roles_by_slug(session: Session, user_ids: list[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {uid: {} for uid in user_ids}
    rows = session.execute(
        select(ProjectRole.user_id, Project.slug, ProjectRole.role)
        .join(Project, Project.id == ProjectRole.project_id)
        .where(ProjectRole.user_id.in_(user_ids))
        .order_by(Project.slug)
    )
    for uid, slug, role in rows:
        out[uid][slug] = role
    return out


def create(
    store: Store, login: str, password: str, *, name: str = "", admin: bool = False
) -> UserOut:
    row = User(
        login=check_login(login),
        name=name.strip()[:200] or login.strip().lower(),
        password_hash=_hasher.hash(check_password(password)),
        is_admin=admin,
        created_at=utcnow(),
        password_changed_at=utcnow(),
    )
    try:
        with store.transaction() as session:
            session.add(row)
    except IntegrityError as exc:
        raise Conflict(f"user {row.login!r} already exists", code="user_exists") from exc
    return _out(row, {})


def _row(session: Session, login: str) -> User:
    row = session.scalar(select(User).where(User.login == login.strip().lower()))
    if row is None or row.deleted_at is not None:
        raise NotFound(f"user {login!r} does not exist", code="user_not_found")
    return row


def get(store: Store, login: str) -> UserOut:
    with store.session() as session:
        row = _row(session, login)
        return _out(row, _roles_by_slug(session, [row.id])[row.id])


def get_by_id(store: Store, user_id: int) -> UserOut | None:
    with store.session() as session:
        row = session.get(User, user_id)
        if row is None:
            return None
        return _out(row, _roles_by_slug(session, [row.id])[row.id])


def list_all(store: Store, *, deleted: bool = False) -> list[UserOut]:
    with store.session() as session:
        query = select(User).order_by(User.login)
        if not deleted:
            query = query.where(User.deleted_at.is_(None))
        rows = session.scalars(query).all()
        roles = _roles_by_slug(session, [r.id for r in rows])
        return [_out(r, roles[r.id]) for r in rows]


def names(store: Store, user_ids: set[int]) -> dict[int, str]:
    """Display names for user ids (deleted users keep theirs)."""
    if not user_ids:
        return {}
    with store.session() as session:
        rows = session.execute(select(User.id, User.name, User.login).where(User.id.in_(user_ids)))
        return {uid: name or login for uid, name, login in rows}


def update(
    store: Store,
    login: str,
    *,
    name: str | None = None,
    disabled: bool | None = None,
    admin: bool | None = None,
    password: str | None = None,
) -> UserOut:
    """Change a user; a new password or disabling them ends their sessions (and a new
    password clears a lockout)."""
    with store.transaction() as session:
        row = _row(session, login)
        if admin is False and row.is_admin:
            _keep_an_admin(session, row)
        if disabled and row.is_admin:
            _keep_an_admin(session, row)
        if name is not None:
            row.name = name.strip()[:200] or row.login
        if disabled is not None:
            row.disabled = disabled
        if admin is not None:
            row.is_admin = admin
        if password is not None:
            row.password_hash = _hasher.hash(check_password(password))
            row.password_changed_at = utcnow()
            row.failed_logins = 0
            row.locked_until = None
        if password is not None or disabled:
            end_sessions(session, row.id)
    return get(store, login)


def _keep_an_admin(session: Session, row: User) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.is_admin.is_(True),
            User.disabled.is_(False),
            User.deleted_at.is_(None),
            User.id != row.id,
        )
    )
    if not others:
        raise Conflict(
            f"{row.login!r} is the last active admin: make another admin first",
            code="last_admin",
        )


def delete_user(store: Store, login: str) -> None:
    """Scrub a user: no password, tokens or roles; the row stays for attribution."""
    with store.transaction() as session:
        row = _row(session, login)
        if row.is_admin and not row.disabled:
            _keep_an_admin(session, row)
        row.password_hash = ""
        row.disabled = True
        row.is_admin = False
        row.deleted_at = utcnow()
        # Frees the login for a new account; the name stays for the history.
        row.login = f"{row.login}~deleted-{row.id}"[:200]
        session.execute(delete(ApiToken).where(ApiToken.user_id == row.id))
        session.execute(delete(ProjectRole).where(ProjectRole.user_id == row.id))
        end_sessions(session, row.id)


def grant(store: Store, login: str, project: ProjectRef, role: str | None) -> UserOut:
    """Give a user a role on a project; ``role`` None or "none" takes it away."""
    with store.transaction() as session:
        row = _row(session, login)
        session.execute(
            delete(ProjectRole).where(
                ProjectRole.user_id == row.id, ProjectRole.project_id == project.id
            )
        )
        if role and role.strip().lower() != "none":
            parsed = Role.parse(role)
            if parsed not in PROJECT_ROLES:
                raise Invalid(
                    f"role {role!r} is not a project role (viewer, annotator, maintainer); "
                    "admin is server-wide: 'tagloop users create --role admin'",
                    code="invalid_role",
                )
            session.add(ProjectRole(user_id=row.id, project_id=project.id, role=parsed.label))
    return get(store, login)


def caller(store: Store, user_id: int, *, via: str) -> Caller | None:
    """The caller for a user id, or None if the user is disabled or deleted."""
    with store.session() as session:
        row = session.get(User, user_id)
        if row is None or row.disabled or row.deleted_at is not None:
            return None
        return _caller(session, row, via)


def _caller(session: Session, row: User, via: str) -> Caller:
    roles = {
        pid: Role.parse(role)
        for pid, role in session.execute(
            select(ProjectRole.project_id, ProjectRole.role).where(ProjectRole.user_id == row.id)
        )
    }
    return Caller(
        user_id=row.id, name=row.name or row.login, admin=row.is_admin, roles=roles, via=via
    )


def sign_in(store: Store, login: str, password: str) -> Caller:
    """Check a login and password; count failures and lock the account after
    ``MAX_FAILED_LOGINS`` wrong passwords in a row."""
    now = utcnow()
    refusal: ServiceError | None = None
    with store.transaction() as session:  # failures are counted even though we refuse
        row = session.scalar(select(User).where(User.login == login.strip().lower()))
        if row is None or row.deleted_at is not None or not row.password_hash:
            _verify(_DUMMY_HASH, password)
            refusal = WrongCredentials("the login or the password is wrong")
        elif row.locked_until and row.locked_until > now:
            left = (row.locked_until - now).total_seconds()
            minutes = max(1, round(left / 60))
            refusal = LockedOut(
                f"too many wrong passwords: sign-in for {row.login!r} is locked for "
                f"{minutes} more minute{'s' * (minutes != 1)}",
                details={"retry_after_seconds": int(left)},
            )
        elif not _verify(row.password_hash, password):
            row.failed_logins += 1
            if row.failed_logins >= MAX_FAILED_LOGINS:
                row.failed_logins = 0
                row.locked_until = now + LOCKOUT
            refusal = WrongCredentials("the login or the password is wrong")
        elif row.disabled:
            refusal = WrongCredentials(f"user {row.login!r} is disabled", code="user_disabled")
        else:
            row.failed_logins = 0
            row.locked_until = None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            result = _caller(session, row, "session")
    if refusal is not None:
        raise refusal
    return result


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_out(row: ApiToken) -> TokenOut:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": _iso(row.created_at) or "",
        "expires_at": _iso(row.expires_at),
        "last_used_at": _iso(row.last_used_at),
    }


def create_token(
    store: Store, user_id: int, *, name: str = "", expires_days: int | None = None
) -> NewToken:
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise Invalid(f"expiry of {expires_days} days: expected 1 to 3650")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user_id=user_id,
        name=name.strip()[:200],
        token_sha256=_hash_token(token),
        prefix=token[: len(TOKEN_PREFIX) + 6],
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    with store.transaction() as session:
        user = session.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        session.add(row)
    return NewToken(token, _token_out(row))


def list_tokens(store: Store, user_id: int) -> list[TokenOut]:
    with store.session() as session:
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
        ).all()
    return [_token_out(r) for r in rows]


def revoke_token(store: Store, user_id: int, token_id: int) -> None:
    with store.transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            raise NotFound(f"token {token_id} does not exist", code="token_not_found")
        session.delete(row)


def token_caller(store: Store, token: str) -> Caller | None:
    """The caller a bearer token stands for; None if it is unknown, expired, or its user
    is disabled. Records when it was last used (at most once a minute)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = utcnow()
    with store.session() as session:
        found = session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_sha256 == _hash_token(token))
        ).first()
        if found is None:
            return None
        row, user = found
        if (row.expires_at and row.expires_at <= now) or user.disabled or user.deleted_at:
            return None
        result = _caller(session, user, "token")
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
            row.last_used_at = now
            session.commit()
    return result
