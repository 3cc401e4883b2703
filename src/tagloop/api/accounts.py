"""Accounts: sign in and out of the web app, who am I, users (admin) and one's API tokens."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators

from tagloop.api.auth import caller, csrf_token, end_session, requires, same_origin, sign_in
from tagloop.api.context import core, project
from tagloop.api.errors import ApiError
from tagloop.api.schemas import Text
from tagloop.service import sessions, users
from tagloop.service.access import PROJECT_ROLES, Action

bp = APIBlueprint("accounts", __name__, url_prefix="/api/v1", tag="Accounts")
ROLE_NAMES = [role.label for role in PROJECT_ROLES]


class LoginIn(Schema):
    login = Text(required=True, validate=validators.Length(min=1, max=200))
    password = fields.String(required=True, validate=validators.Length(min=1, max=1024))


class UserOut(Schema):
    id = fields.Integer()
    login = fields.String()
    name = fields.String()
    is_admin = fields.Boolean()
    disabled = fields.Boolean()
    deleted = fields.Boolean()
    created_at = fields.String()
    roles = fields.Dict(
        keys=fields.String(),
        values=fields.String(metadata={"enum": ROLE_NAMES}),
        metadata={"description": "project slug -> role"},
    )


class MeOut(Schema):
    user = fields.Nested(UserOut, allow_none=True)
    admin = fields.Boolean(metadata={"description": "server-wide admin (or the admin token)"})
    csrf_token = fields.String(
        allow_none=True,
        metadata={"description": "send as X-CSRF-Token on the session's state-changing requests"},
    )
    open = fields.Boolean(metadata={"description": "no accounts exist yet"})


class UserList(Schema):
    items = fields.List(fields.Nested(UserOut))


class UserIn(Schema):
    login = Text(required=True, validate=validators.Regexp(users.LOGIN))
    name = Text(load_default="", validate=validators.Length(max=200))
    password = fields.String(
        required=True, validate=validators.Length(min=users.MIN_PASSWORD, max=users.MAX_PASSWORD)
    )
    is_admin = fields.Boolean(load_default=False)


class UserPatch(Schema):
    name = Text(validate=validators.Length(max=200))
    disabled = fields.Boolean()
    is_admin = fields.Boolean()
    password = fields.String(
        validate=validators.Length(min=users.MIN_PASSWORD, max=users.MAX_PASSWORD)
    )


class RoleIn(Schema):
    role = fields.String(
        required=True,
        allow_none=True,
        validate=validators.OneOf([*ROLE_NAMES, "none"]),
        metadata={"description": "none (or null) takes the role away"},
    )


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "the token's first characters"})
    created_at = fields.String()
    expires_at = fields.String(allow_none=True)
    last_used_at = fields.String(allow_none=True)


class NewTokenOut(TokenOut):
    token = fields.String(metadata={"description": "shown this once; only its hash is kept"})


class TokenList(Schema):
    items = fields.List(fields.Nested(TokenOut))


class TokenIn(Schema):
    name = Text(load_default="", validate=validators.Length(max=200))
    expires_days = fields.Integer(
        load_default=None, allow_none=True, validate=validators.Range(min=1, max=3650)
    )


def _me() -> dict[str, Any]:
    who, the_core = caller(), core()
    user = users.get_by_id(the_core.store, who.user_id) if who.user_id is not None else None
    return {
        "user": user,
        "admin": who.admin,
        "csrf_token": csrf_token() if who.via == "session" else None,
        "open": not the_core.accounts_exist(),
    }


@bp.get("/auth/me")
@bp.output(MeOut)
@bp.doc(summary="Who is calling: the signed-in user and the session's CSRF token")
@requires(Action.PUBLIC)
def me() -> dict[str, Any]:
    """``user`` is null for an anonymous caller (or the admin token, with ``admin`` true)."""
    return _me()


@bp.post("/auth/login")
@bp.input(LoginIn, arg_name="body")
@bp.output(MeOut)
@bp.doc(
    summary="Sign in with a login and password (starts a session cookie)", responses=[200, 401, 429]
)
@requires(Action.PUBLIC)
def login(body: dict[str, Any]) -> dict[str, Any]:
    """Five wrong passwords in a row lock the account for 15 minutes (429
    ``locked_out``); sign-in attempts are also rate-limited per address."""
    if not same_origin():
        raise ApiError(403, "sign-in from another site refused", code="csrf_failed")
    sign_in(users.sign_in(core().store, body["login"], body["password"]))
    return _me()


@bp.post("/auth/logout")
@bp.output({}, status_code=204)
@bp.doc(summary="Sign out (ends the session)")
@requires(Action.PUBLIC)
def logout() -> tuple[str, int]:
    """Always succeeds; the session ends on the server and its cookie is cleared, so a
    copy of the cookie no longer signs anyone in."""
    end_session()
    return "", 204


@bp.delete("/auth/sessions")
@bp.output({}, status_code=204)
@bp.doc(summary="Sign out everywhere: end every web session of yours", responses=[204, 409])
@requires(Action.SELF)
def end_sessions() -> tuple[str, int]:
    """Every browser signed in as you is signed out (this one too); API tokens are not
    touched (revoke them one by one)."""
    sessions.end_all(core().store, _own_id())
    end_session()
    return "", 204


@bp.get("/users")
@bp.output(UserList)
@bp.doc(summary="Every user with their roles (admin)")
@requires(Action.MANAGE_USERS)
def list_users() -> dict[str, Any]:
    return {"items": users.list_all(core().store)}


@bp.post("/users")
@bp.input(UserIn, arg_name="body")
@bp.output(UserOut, status_code=201)
@bp.doc(summary="Create a user (admin)", responses=[201, 409, 422])
@requires(Action.MANAGE_USERS)
def create_user(body: dict[str, Any]) -> users.UserOut:
    return users.create(
        core().store, body["login"], body["password"], name=body["name"], admin=body["is_admin"]
    )


@bp.patch("/users/<login>")
@bp.input(UserPatch, arg_name="body")
@bp.output(UserOut)
@bp.doc(summary="Rename, disable or enable, make admin, or reset the password (admin)")
@requires(Action.MANAGE_USERS)
def patch_user(login: str, body: dict[str, Any]) -> users.UserOut:
    """A new password ends the user's sessions and clears a lockout."""
    return users.update(
        core().store,
        login,
        name=body.get("name"),
        disabled=body.get("disabled"),
        admin=body.get("is_admin"),
        password=body.get("password"),
    )


@bp.delete("/users/<login>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a user; their history stays attributed to their name (admin)")
@requires(Action.MANAGE_USERS)
def delete_user(login: str) -> tuple[str, int]:
    users.delete_user(core().store, login)
    return "", 204


@bp.put("/users/<login>/roles/<project>")
@bp.input(RoleIn, arg_name="body")
@bp.output(UserOut)
@bp.doc(summary="Set a user's role on a project (admin)")
@requires(Action.MANAGE_USERS)
def set_role(login: str, body: dict[str, Any]) -> users.UserOut:
    return users.grant(core().store, login, project(), body["role"])


def _own_id() -> int:
    who = caller()
    if who.user_id is None:
        raise ApiError(
            409,
            "the admin token belongs to no user: sign in as a user to make tokens",
            code="no_user",
        )
    return who.user_id


@bp.get("/tokens")
@bp.output(TokenList)
@bp.doc(summary="Your API tokens (never the tokens themselves)", responses=[200, 409])
@requires(Action.SELF)
def list_tokens() -> dict[str, Any]:
    return {"items": users.list_tokens(core().store, _own_id())}


@bp.post("/tokens")
@bp.input(TokenIn, arg_name="body")
@bp.output(NewTokenOut, status_code=201)
@bp.doc(
    summary="Create an API token: shown once, send it as 'Authorization: Bearer'",
    responses=[201, 409],
)
@requires(Action.SELF)
def create_token(body: dict[str, Any]) -> dict[str, Any]:
    new = users.create_token(
        core().store, _own_id(), name=body["name"], expires_days=body["expires_days"]
    )
    return {**new.info, "token": new.token}


@bp.delete("/tokens/<int:token_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Revoke one of your API tokens", responses=[204, 404, 409])
@requires(Action.SELF)
def revoke_token(token_id: int) -> tuple[str, int]:
    users.revoke_token(core().store, _own_id(), token_id)
    return "", 204
