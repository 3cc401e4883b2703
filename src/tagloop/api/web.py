"""Serve the built Vue app at ``/``: real files as they are, every other path gets
``index.html`` so deep links like ``/models/3`` work."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, request, send_from_directory
from werkzeug.exceptions import HTTPException, MethodNotAllowed

STATIC = Path(__file__).resolve().parent.parent / "static"
NOT_BUILT = (
    "<!doctype html><title>tagloop</title><p>The web app is not built. "
    "Run <code>make run</code> (or <code>npm run build</code> in <code>frontend/</code>). "
    "The API is at <a href='/api/docs'>/api/docs</a>.</p>"
)


def init_app(app: Flask) -> None:
    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def spa(path: str) -> Response:
        if path.startswith("api/"):
            from tagloop.api.errors import ApiError

            # This catch-all answers every GET, so werkzeug never sees a 405 for API paths.
            allowed = _api_methods()
            if allowed:
                raise MethodNotAllowed(allowed)
            raise ApiError(404, f"no API endpoint at /{path}")
        if path and (STATIC / path).is_file():
            response = send_from_directory(STATIC, path)
            if path.startswith("assets/"):  # content-hashed names: cache for a year
                response.cache_control.max_age = 31536000
                response.cache_control.immutable = True
            return response
        if (STATIC / "index.html").is_file():
            response = send_from_directory(STATIC, "index.html")
            response.cache_control.no_cache = True
            return response
        return Response(NOT_BUILT, mimetype="text/html")

    spa.__doc__ = "The web app."
    app.view_functions["spa"]._spec = {"hide": True}  # type: ignore[attr-defined]


def _api_methods() -> list[str]:
    """The methods other routes accept at this request's path."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        try:
            adapter.match(method=method)
        except HTTPException:
            continue
        allowed.append(method)
    return allowed
