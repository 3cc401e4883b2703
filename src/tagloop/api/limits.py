"""Per-client rate limits (Flask-Limiter) and CORS for configured origins only."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from tagloop.config import Settings

UNLIMITED = ("/healthz", "/readyz", "/metrics")


def init_app(app: Flask, settings: Settings) -> None:
    if settings.rate_limit:
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
        default_limits=[settings.rate_limit],
        storage_uri=settings.rate_limit_storage,
        headers_enabled=True,
        default_limits_exempt_when=_exempt,
    )
    app.extensions["tagloop.limiter"] = limiter


def _exempt() -> bool:
    from flask import request

    return request.path in UNLIMITED or not request.path.startswith("/api/")
