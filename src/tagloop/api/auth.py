"""Admin endpoints need ``Authorization: Bearer <TAGLOOP_ADMIN_TOKEN>``.

With no token configured, admin endpoints are refused rather than left open. The token is
checked before anything else about the request (its content type, its body), so a caller
without the token learns nothing from the endpoint but that it needs one.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import unquote

from flask import Flask, current_app, g, request

from tagloop.api.context import settings
from tagloop.api.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])


def admin_actor() -> str:
    """Check the bearer token and return a name for the audit log."""
    expected = settings().admin_token
    if not expected:
        raise ApiError(
            403,
            "admin actions are disabled: set TAGLOOP_ADMIN_TOKEN on the server",
            code="admin_disabled",
        )
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "admin token required: send 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, "admin token is not valid", code="invalid_token")
    # Percent-encoded UTF-8, as the web app sends it (a header carries ASCII only).
    actor = unquote(request.headers.get("X-Tagloop-Actor", ""), errors="replace")
    actor = "".join(ch for ch in actor if ch.isprintable()).strip()
    return actor[:200] or "admin"


def admin_required(view: F) -> F:
    """Mark a view as admin-only; it receives the caller's name as ``actor``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["actor"] = g.get("admin_actor") or admin_actor()
        return view(*args, **kwargs)

    wrapper.tagloop_admin = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Check the token first: register this before any other ``before_request`` hook."""

    @app.before_request
    def check_admin_token() -> None:
        if request.method == "OPTIONS":  # a CORS preflight carries no credentials
            return
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "tagloop_admin", False):
            g.admin_actor = admin_actor()
