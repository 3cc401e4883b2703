"""Who is calling: an opaque random id in a cookie, one per browser.

The tutorial kept the last result in a cookie session; tagloop keeps every result in the
database and only the client id in the cookie, so "my recent results" survives restarts and
works across server processes.

A browser gets its id from the first page or list it loads (the web app asks for "my
recent results" when it opens) or from the tutorial's ``POST /api/task``. ``POST
/api/v1/classify`` only reads the cookie: programs that send none are anonymous, instead of
being handed a new id, stored on their row and never seen again, on every call.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, request
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tagloop.api.context import core
from tagloop.store.models import Client, utcnow

COOKIE = "tagloop_client"
_VALID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def client_id() -> tuple[str, bool]:
    """The caller's id and whether it is new (then the cookie is set on the response)."""
    if "client_id" not in g:
        cookie = request.cookies.get(COOKIE, "")
        g.client_is_new = not _VALID.match(cookie)
        g.client_id = secrets.token_urlsafe(18) if g.client_is_new else cookie
    return g.client_id, g.client_is_new


def existing_client() -> str | None:
    """The caller's id if it sent a valid cookie (recorded in ``clients``), else None."""
    cookie = request.cookies.get(COOKIE)
    if not cookie or not _VALID.match(cookie):
        return None
    remember(cookie)
    return cookie


def client_for_results() -> str:
    """The caller's id for a request whose results it will list later: a new caller gets
    one (and the cookie)."""
    cid, new = client_id()
    if not new:
        remember(cid)
    return cid


_KNOWN_MAX = 100_000
# Client ids this process has recorded.
_known: set[str] = set()


def remember(cid: str) -> None:
    """Record a client in the ``clients`` table the first time it comes back with its cookie.

    Recording only ids that return keeps the table to real browsers and API clients.
    ``_known`` is this process's memory of ids already recorded, so this costs one insert
    per client per process, not per request.
    """
    if cid in _known:
        return
    engine = core().store.engine
    insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
    with engine.begin() as conn:
        conn.execute(insert(Client).values(id=cid, created_at=utcnow()).on_conflict_do_nothing())
    if len(_known) >= _KNOWN_MAX:
        _known.clear()
    _known.add(cid)


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
