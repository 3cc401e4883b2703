"""Serve the built Vue app at ``/``: real files as they are, every other path gets
``index.html`` so deep links like ``/models/3`` work."""

from __future__ import annotations

from pathlib import Path

from apiflask import APIFlask
from flask import Response, send_from_directory
from werkzeug.routing import PathConverter

from tagloop.api.auth import requires
from tagloop.api.clients import client_id
from tagloop.service.access import Action

STATIC = Path(__file__).resolve().parent.parent / "static"
NOT_BUILT = (
    "<!doctype html><title>tagloop</title><p>The web app is not built. "
    "Run <code>make run</code> (or <code>npm run build</code> in <code>frontend/</code>). "
    "The OpenAPI document is at <a href='/api/openapi.json'>/api/openapi.json</a>.</p>"
)


DOCS = STATIC / "api-docs"  # Swagger UI 5 and its page, put there by the web app's build


class NotApiPath(PathConverter):
    """Any path outside ``/api/``: an unknown API path is a JSON 404 (or 405), not the app."""

    regex = r"(?!api(?:/|$))[^/].*?"


def init_app(app: APIFlask) -> None:
    @app.get("/api/docs")
    @app.doc(hide=True)
    @requires(Action.PUBLIC)
    def api_docs() -> Response:
        """The interactive API docs: Swagger UI from this server's files, no CDN."""
        if not (DOCS / "index.html").is_file():
            return Response(NOT_BUILT, mimetype="text/html")
        response = send_from_directory(DOCS, "index.html")
        response.cache_control.no_cache = True
        return response

    @app.get("/api/docs/assets/<path:name>")
    @app.doc(hide=True)
    @requires(Action.PUBLIC)
    def api_docs_asset(name: str) -> Response:
        return send_from_directory(DOCS, name, max_age=3600)

    app.url_map.converters["not_api"] = NotApiPath

    @app.get("/", defaults={"path": ""})
    @app.get("/<not_api:path>")
    @app.doc(hide=True)
    @requires(Action.PUBLIC)
    def spa(path: str) -> Response:
        if path and (STATIC / path).is_file():
            response = send_from_directory(STATIC, path)
            if path.startswith("assets/"):  # content-hashed names: cache for a year
                response.cache_control.max_age = 31536000
                response.cache_control.immutable = True
            return response
        client_id()  # the browser's id for "my results", from its first page
        if (STATIC / "index.html").is_file():
            response = send_from_directory(STATIC, "index.html")
            response.cache_control.no_cache = True
            return response
        return Response(NOT_BUILT, mimetype="text/html")
