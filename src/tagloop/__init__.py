"""tagloop: train, serve and keep improving text classifiers.

``create_app`` is the Flask application factory; nothing is created at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from apiflask import APIFlask

    from tagloop.config import Settings


def create_app(settings: Settings | None = None, **overrides: Any) -> APIFlask:
    from tagloop.api.app import build_app

    return build_app(settings, **overrides)
