"""Per-client rate limits (Flask-Limiter), a tighter one on sign-in, the body size limit
for bodies sent without a length, and CORS for configured origins only."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from tagloop.config import Settings

UNLIMITED = ("/healthz", "/readyz", "/metrics")


LOGIN_ENDPOINT = "accounts.login"


def init_app(app: Flask, settings: Settings) -> None:
    app.wsgi_app = SizedBody(app.wsgi_app, settings.max_body_bytes)  # type: ignore[method-assign]
    if settings.rate_limit or settings.login_rate_limit:
        _init_limiter(app, settings)
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": settings.cors_origins}},
            supports_credentials=True,
        )


def _init_limiter(app: Flask, settings: Settings) -> None:
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        default_limits=[settings.rate_limit] if settings.rate_limit else [],
        storage_uri=settings.rate_limit_storage,
        headers_enabled=True,
        default_limits_exempt_when=_exempt,
    )
    app.extensions["tagloop.limiter"] = limiter
    if not settings.rate_limit:
        # Only sign-in is limited, and its decorator checks it itself: the per-request
        # search for default limits would cost every request (a tenth of a classify's CPU)
        # and find none.
        app.before_request_funcs[None].remove(limiter._check_request_limit)


def limit_login(app: Flask, settings: Settings) -> None:
    """Sign-in attempts per address (call once the view is registered); the account
    lockout in service.users stops a guesser who spreads over many addresses."""
    limiter = app.extensions.get("tagloop.limiter")
    if limiter is not None and settings.login_rate_limit:
        view = app.view_functions[LOGIN_ENDPOINT]
        app.view_functions[LOGIN_ENDPOINT] = limiter.limit(settings.login_rate_limit)(view)


def _exempt() -> bool:
    from flask import request

    return request.path in UNLIMITED or not request.path.startswith("/api/")


class SizedBody:
    """Gives a body sent without ``Content-Length`` (``Transfer-Encoding: chunked``) its
    length, reading at most one byte past ``limit``: a body over the limit is then refused
    with 413 by its length, as one that declares it is. Werkzeug alone would stop reading
    at the limit and hand the app a cut-off body (a JSON error, not a 413)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked or (not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated")):
            stream = environ["wsgi.input"]
            parts, size = [], 0
            while size <= self.limit:
                chunk = stream.read(min(65536, self.limit + 1 - size))
                if not chunk:
                    break
                parts.append(chunk)
                size += len(chunk)
            environ["wsgi.input"] = io.BytesIO(b"".join(parts))
            environ["CONTENT_LENGTH"] = str(size)
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores the length if kept
        return self.app(environ, start_response)
