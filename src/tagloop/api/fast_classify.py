"""One text classified without Flask's request machinery: the request programs send most.

Through Flask, APIFlask and webargs a one-text ``POST /api/v1/classify`` cost about 1 ms of
server CPU, of which the model and the durable insert were a seventh. This WSGI layer answers
the plain case itself, with the functions the Flask route uses: the caller from
``auth.identify``, the rule from ``service.access.check`` for the action the view declares,
the text checked by ``schemas.check_storable`` and ``schemas.check_text`` with the server's
limits, the prediction stored and returned by ``service.predictions.classify``, the metrics
of ``observability``, the security headers of ``headers`` and the JSON of ``jsonio``.

Everything else goes to Flask untouched: other routes and methods, a query string
(``explain``), a batch, any other field, a cookie (sessions, client ids), a body that is not
plain JSON or has no length, and a plain request that any check refuses — before anything
is stored, so Flask answers it as it answers every error. With a rate limit or CORS
configured, every request goes through Flask (Flask-Limiter and Flask-CORS). The OpenAPI
document is the Flask route's; ``tests/api/test_fast_classify.py`` holds the two paths to
the same answers.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from apiflask import APIFlask

from tagloop.api import observability
from tagloop.api.auth import identify
from tagloop.api.classify import SINGLE_SOURCE
from tagloop.api.classify import classify as classify_view
from tagloop.api.headers import HEADERS
from tagloop.api.jsonio import MIMETYPE, encode
from tagloop.api.schemas import check_storable, check_text
from tagloop.config import Settings
from tagloop.service.access import Caller, check
from tagloop.service.core import Core
from tagloop.service.predictions import classify

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
SECURITY_HEADERS = list(HEADERS.items())


class FastClassify:
    """WSGI middleware: answers a plain one-text classify, hands the rest to ``app``."""

    def __init__(self, app: WsgiApp, flask_app: APIFlask, settings: Settings) -> None:
        self.app = app
        self.core: Core = flask_app.extensions["tagloop.core"]
        self.max_body = settings.max_body_bytes
        self.max_length = settings.max_text_length
        self.action = classify_view.tagloop_action  # type: ignore[attr-defined]
        # The classify view's URL rules: /api/v1/classify for the default project and
        # /api/v1/projects/<project>/classify.
        self.paths: dict[str, str] = {}
        self.per_project: list[tuple[str, str, str]] = []
        for rule in flask_app.url_map.iter_rules():
            if flask_app.view_functions[rule.endpoint] is not classify_view:
                continue
            if "<project>" in rule.rule:
                prefix, suffix = rule.rule.split("<project>")
                self.per_project.append((prefix, suffix, rule.rule))
            else:
                self.paths[rule.rule] = rule.rule

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        route = self._route(environ)
        if route is None:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        answer = self._answer(route, body, environ.get("HTTP_AUTHORIZATION", ""), started)
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again
            return self.app(environ, start_response)
        headers, payload = answer
        start_response("200 OK", headers)
        return [payload]

    def _route(self, environ: dict[str, Any]) -> tuple[str, str | None] | None:
        """The rule and project slug of a request this layer may answer (None: Flask's)."""
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("QUERY_STRING")
            or "HTTP_COOKIE" in environ
            or "HTTP_TRANSFER_ENCODING" in environ
        ):
            return None
        length = environ.get("CONTENT_LENGTH") or ""
        if not (length.isascii() and length.isdigit() and 0 < int(length) <= self.max_body):
            return None
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if mimetype != MIMETYPE:
            return None
        path = environ.get("PATH_INFO", "")
        rule = self.paths.get(path)
        if rule is not None:
            return rule, None
        for prefix, suffix, rule in self.per_project:
            if path.startswith(prefix) and path.endswith(suffix):
                slug = path[len(prefix) : len(path) - len(suffix)]
                if slug and "/" not in slug:
                    return rule, slug
        return None

    def _answer(
        self, route: tuple[str, str | None], body: bytes, authorization: str, started: float
    ) -> tuple[list[tuple[str, str]], bytes] | None:
        """The response's headers and body, or None for Flask to answer instead."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if type(data) is not dict or len(data) != 1 or type(data.get("text")) is not str:
            return None
        text: str = data["text"]
        rule, slug = route
        session_read: list[bool] = []

        def no_session() -> Caller | None:
            session_read.append(True)  # where Flask reads the (empty) session
            return None

        core = self.core
        try:
            who = identify(core, authorization, no_session)
            project = core.project(slug)
            check(who, self.action, project)
            check_storable(text)
            check_text(text, self.max_length)
            # classify stores its rows last: when it raises, nothing was stored, and Flask
            # may run it again to answer the error as the route does.
            result = classify(core, project, [text], source=SINGLE_SOURCE)
        except Exception:
            return None
        prediction = result.predictions[0]
        observability.count_predictions(project.slug, [prediction["label"]])
        payload = encode(prediction)
        # In the order Flask sends them: the response's, then the after_request hooks'
        # (last registered first), then the session's.
        headers = [
            ("Content-Type", MIMETYPE),
            ("Content-Length", str(len(payload))),
            (observability.WORKER_HEADER, str(os.getpid())),
            *SECURITY_HEADERS,
        ]
        if session_read:
            headers.append(("Vary", "Cookie"))
        observability.observe(rule, "POST", 200, started)
        return headers, payload


def init_app(app: APIFlask, settings: Settings) -> None:
    """Answer plain classify requests before Flask (call once the routes are registered)."""
    if settings.rate_limit or settings.cors_origins:
        return
    app.wsgi_app = FastClassify(app.wsgi_app, app, settings)  # type: ignore[method-assign]
