"""Who is calling: an opaque random id in a cookie, one per browser.

The tutorial kept the last result in a cookie session; tagloop keeps every result in the
database and only the client id in the cookie, so "my recent results" survives restarts and
works across server processes.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, request

COOKIE = "tagloop_client"
_VALID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def client_id() -> tuple[str, bool]:
    """The caller's id and whether it is new (then the cookie is set on the response)."""
    if "client_id" not in g:
        cookie = request.cookies.get(COOKIE, "")
        g.client_is_new = not _VALID.match(cookie)
        g.client_id = secrets.token_urlsafe(18) if g.client_is_new else cookie
    return g.client_id, g.client_is_new


def init_app(app: Flask) -> None:
    @app.after_request
    def set_cookie(response: Response) -> Response:
        if g.get("client_is_new"):
            response.set_cookie(
                COOKIE,
                g.client_id,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
            )
        return response
