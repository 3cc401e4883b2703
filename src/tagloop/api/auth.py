"""Who is calling, and may they: every view declares its action with ``@requires``.

A caller is, in this order: ``Authorization: Bearer`` with the bootstrap
``TAGLOOP_ADMIN_TOKEN`` (an admin) or a user's API token; the signed session cookie of
the web app; or anonymous. The check (``service.access.check``) runs before the request's
body is read, so a caller without the right learns nothing from the endpoint but that.
A view without ``@requires`` is refused: a new route cannot be left open by accident.

Browser sessions are protected against cross-site requests: a state-changing request
signed in by the cookie must carry the session's ``X-CSRF-Token`` and, when the browser
sends an ``Origin``, come from this server's origin (or a ``TAGLOOP_CORS_ORIGINS`` one).
Bearer-token requests carry no ambient credential and are exempt.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from flask import Flask, Request, Response, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from tagloop.api.clients import client_for_results
from tagloop.api.context import core, project, settings
from tagloop.api.errors import ApiError
from tagloop.service import sessions, users
from tagloop.service.access import SERVER_WIDE, Action, Caller, Unauthenticated, check
from tagloop.service.core import Core

F = TypeVar("F", bound=Callable[..., Any])
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Routes the frameworks add (the OpenAPI document, the interactive docs): public.
FRAMEWORK_ENDPOINTS = {
    "openapi.spec": Action.PUBLIC,
    "openapi.docs": Action.PUBLIC,
    "openapi.swagger_ui_oauth_redirect": Action.PUBLIC,
}


def requires(action: Action) -> Callable[[F], F]:
    """Declare the action a view performs; the request is checked before the view runs."""

    def mark(view: F) -> F:
        view.tagloop_action = action  # type: ignore[attr-defined]
        return view

    return mark


def action_of(endpoint: str) -> Action | None:
    """The action an endpoint declares (None: it declares none, and is refused)."""
    if endpoint in FRAMEWORK_ENDPOINTS:
        return FRAMEWORK_ENDPOINTS[endpoint]
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "tagloop_action", None)


def caller() -> Caller:
    if "caller" not in g:
        g.caller = identify(core(), request.headers.get("Authorization", ""), _session_caller)
    return g.caller


def actor() -> str:
    """The caller's name for the audit log: a user's name; for the bootstrap token the
    ``X-Tagloop-Actor`` header (percent-encoded UTF-8, as the web app sends it) or
    "admin"."""
    who = caller()
    if who.user_id is not None:
        return who.name
    name = unquote(request.headers.get("X-Tagloop-Actor", ""), errors="replace")
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "admin"


def labeller() -> str:
    """Who labels or imports, as items record it: ``user:<name>`` when signed in or sending
    a user's token, ``admin:<name>`` with the bootstrap admin token, otherwise
    ``client:<id>`` (the browser's cookie id)."""
    who = caller()
    if who.user_id is not None:
        return f"user:{who.name}"
    if who.admin:
        return f"admin:{actor()}"
    return f"client:{client_for_results()}"


def require(action: Action) -> None:
    """Check a further action inside a view (e.g. reading everyone's predictions)."""
    _check(caller(), action)


def identify(
    the_core: Core, authorization: str, session_caller: Callable[[], Caller | None]
) -> Caller:
    """The caller named by an ``Authorization`` header or, without a bearer token, by
    ``session_caller`` (the session cookie's user); anonymous when neither names one."""
    admin_token = the_core.settings.admin_token
    opened = not the_core.accounts_exist()
    anonymous = Caller(open=opened, admin_token_set=bool(admin_token))
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
            return Caller(name="admin", admin=True, via="admin_token")
        found = users.token_caller(the_core.store, token)
        if found is not None:
            return found
        if opened and not admin_token:
            return anonymous  # the check answers "set TAGLOOP_ADMIN_TOKEN or add a user"
        raise ApiError(401, "the bearer token is not valid", code="invalid_token")
    return session_caller() or anonymous


def _session_caller() -> Caller | None:
    """The signed-in user of a live session: its row must still exist on the server
    (sign-out, a new password or a disabled account delete it), so a copied cookie dies
    with its session."""
    uid = session.get("uid")
    if uid is None:
        return None
    the_core = core()
    issued = float(session.get("iat", 0))
    live = sessions.user_of(the_core.store, str(session.get("sid", ""))) == int(uid)
    found = users.caller(the_core.store, int(uid), via="session") if live else None
    if time.time() - issued > the_core.settings.session_hours * 3600 or found is None:
        session.clear()
        g.session_ended = True
        return None
    return found


def sign_in(who: Caller) -> str:
    """Start a session for a user who just proved their password; returns its CSRF token."""
    assert who.user_id is not None
    the_core = core()
    end_session()  # a session already in this browser ends: one browser, one session
    session.update(
        uid=who.user_id,
        iat=time.time(),
        sid=sessions.start(the_core.store, who.user_id, the_core.settings.session_hours),
        csrf=secrets.token_urlsafe(24),
    )
    session.permanent = True
    g.caller = who
    return str(session["csrf"])


def end_session() -> None:
    """Sign this browser out: its session ends on the server too."""
    sid = session.get("sid")
    if sid:
        sessions.end(core().store, str(sid))
    session.clear()
    g.pop("caller", None)


def csrf_token() -> str | None:
    return session.get("csrf")


def _check(who: Caller, action: Action) -> None:
    ref = None if action in SERVER_WIDE else project()
    try:
        check(who, action, ref)
    except Unauthenticated as exc:
        if g.get("session_ended"):
            raise ApiError(
                401, "your session has expired or ended: sign in again", code="session_expired"
            ) from exc
        raise


def same_origin() -> bool:
    """Whether the browser's ``Origin`` (when it sends one) is this server or a
    ``TAGLOOP_CORS_ORIGINS`` one."""
    origin = request.headers.get("Origin")
    if not origin:
        return True
    return origin.rstrip("/") in {_origin(request.host_url), *settings().cors_origins}


def _check_origin() -> None:
    """A state-changing request on the session cookie must come from our own pages."""
    if not same_origin():
        origin = request.headers.get("Origin")
        raise ApiError(403, f"cross-site request from {origin} refused", code="csrf_failed")
    sent = request.headers.get(CSRF_HEADER, "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        raise ApiError(
            403,
            f"missing or wrong {CSRF_HEADER} header (read it from GET /api/v1/auth/me)",
            code="csrf_failed",
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked ``Secure`` whenever the request came over
    HTTPS (directly or, with ``TAGLOOP_PROXY_HOPS``, through a proxy)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure) or super().get_cookie_secure(app)

    # Most API calls send no session cookie and change no session: Flask would still build
    # a signer to open it and work out every cookie attribute to save it (together about a
    # twentieth of a classify call). Both shortcuts do what Flask does in those cases.

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Check the caller first: register this before any other ``before_request`` hook."""
    app.session_interface = SessionInterface()

    @app.before_request
    def authorize() -> None:
        if request.method == "OPTIONS":  # a CORS preflight carries no credentials
            return
        action = action_of(request.endpoint or "")
        if request.endpoint is None:
            return  # a 404/405: nothing to protect
        if action is None:
            raise ApiError(403, f"{request.path} has no access rule", code="no_access_rule")
        if action is Action.PUBLIC:
            return
        who = caller()
        if who.via == "session" and request.method not in SAFE_METHODS:
            _check_origin()
        _check(who, action)
