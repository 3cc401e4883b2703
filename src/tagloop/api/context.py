"""Typed access to what the application factory attached to the app, and the project a
request is about: ``/api/v1/projects/<project>/…`` names it; the un-prefixed routes and
the tutorial's use the default project (``TAGLOOP_DEFAULT_PROJECT``)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g

from tagloop.config import Settings
from tagloop.service.core import Core
from tagloop.service.projects import ProjectRef


def core() -> Core:
    return current_app.extensions["tagloop.core"]


def settings() -> Settings:
    return core().settings


def project() -> ProjectRef:
    """The request's project (404 ``project_not_found`` if the URL names none that exists)."""
    if "project" not in g:
        g.project = core().project(g.get("project_slug"))
    return g.project


def init_app(app: Flask) -> None:
    @app.url_value_preprocessor
    def take_project(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and "project" in values:
            g.project_slug = values.pop("project")
