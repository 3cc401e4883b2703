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
    "The API is at <a href='/api/docs'>/api/docs</a>.</p>"
)


DOCS_ASSETS = "/api/docs/assets"


class NotApiPath(PathConverter):
    """Any path outside ``/api/``: an unknown API path is a JSON 404 (or 405), not the app."""

    regex = r"(?!api(?:/|$))[^/].*?"


def init_app(app: APIFlask) -> None:
    # The interactive docs load Swagger UI from this server, not a CDN, so they work on
    # machines without internet access.
    from swagger_ui_bundle import swagger_ui_path

    app.config.update(
        SWAGGER_UI_CSS=f"{DOCS_ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
    )

    @app.get(f"{DOCS_ASSETS}/<path:name>")
    @app.doc(hide=True)
    @requires(Action.PUBLIC)
    def docs_asset(name: str) -> Response:
        return send_from_directory(swagger_ui_path, name, max_age=86400)

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
