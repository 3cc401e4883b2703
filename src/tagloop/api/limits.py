"""Per-client rate limits (Flask-Limiter), a tighter one on sign-in, and CORS for
configured origins only."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from tagloop.config import Settings

UNLIMITED = ("/healthz", "/readyz", "/metrics")


LOGIN_ENDPOINT = "accounts.login"


def init_app(app: Flask, settings: Settings) -> None:
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
