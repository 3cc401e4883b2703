"""Every error is JSON ``{"error": {"code", "message", "details"}}`` with a 4xx/5xx status.

Validation errors name the field and the problem in ``message`` so a person can read it
without digging into ``details``; unexpected exceptions are logged and answered with a
generic 500 that reveals nothing of the server's internals.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from apiflask import APIFlask, HTTPError
from flask import request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from tagloop.ml.datasets import DataError
from tagloop.service.errors import ServiceError
from tagloop.service.items import data_error

log = logging.getLogger(__name__)
RETRY_AFTER = "5"  # seconds a client should wait before retrying a 503

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string", "example": "text: text is empty"},
                "details": {
                    "type": ["object", "null"],
                    "additionalProperties": True,
                    "description": "What the code needs to act on it (null: nothing more)",
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}


class ApiError(HTTPError):
    """An error raised by a view: ``raise ApiError(409, "…", code="model_active")``."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(status, message, detail=details, extra_data={"code": code or ""})


F = TypeVar("F", bound=Callable[..., Any])


def upload(view: F) -> F:
    """Mark a view that takes ``multipart/form-data`` (a file) instead of JSON."""
    view.tagloop_upload = True  # type: ignore[attr-defined]
    return view


T = TypeVar("T")


def read_upload(file: FileStorage, read: Callable[[Path], T]) -> tuple[T, str]:
    """Read an uploaded file with ``read`` from a private temporary copy (removed after);
    returns what it read and the file's name. A bad file is the 422 ``bad_data`` naming the
    uploaded file (not the temporary copy) and the line."""
    name = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        file.save(path)
        try:
            return read(path), name
        except DataError as exc:
            raise data_error(exc, name) from exc


def body(status: int, message: str, code: str | None = None, details: Any = None) -> dict:
    return {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "details": details,
        }
    }


def _summarise(detail: Any) -> str:
    """Turn webargs' {location: {field: [messages]}} into 'field: message; …'."""
    parts: list[str] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                name = str(key) if key not in ("json", "query", "_schema") else ""
                walk(f"{prefix}.{name}".strip(".") if name else prefix, value)
        elif node == ["Invalid input type."] and not prefix:
            parts.append("the request body must be a JSON object")
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            parts.append(f"{prefix}: {node[0]}" if prefix else node[0])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(f"{prefix}[{i}]", value)

    walk("", detail)
    return "; ".join(parts[:5]) or "invalid request"


def init_app(app: APIFlask) -> None:
    # webargs drops unknown query parameters by default, so `?lable=spam` would list
    # everything unfiltered; let the schemas refuse them (marshmallow's RAISE), as they
    # refuse unknown fields in JSON bodies. The parser is APIFlask's one, shared process-wide.
    from apiflask.schema_adapters.marshmallow import parser

    parser.unknown = None

    @app.before_request
    def require_json() -> None:
        # Otherwise webargs silently reads a non-JSON body as no body at all.
        has_body = request.content_length or request.mimetype
        writes = request.method in ("POST", "PUT", "PATCH") and request.path.startswith("/api/")
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "tagloop_upload", False):
            if writes and request.mimetype != "multipart/form-data":
                got = request.mimetype or "no Content-Type"
                raise ApiError(415, f"send the file as multipart/form-data (got {got})")
            return
        if writes and has_body and not request.is_json:
            got = request.mimetype or "no Content-Type"
            raise ApiError(
                415, f"send the body as JSON with Content-Type: application/json (got {got})"
            )

    @app.error_processor
    def process(error: HTTPError) -> tuple[dict, int, Any]:
        code = error.extra_data.get("code") or None
        message = error.message or ""
        details = error.detail or None
        if error.status_code == 422 and not code:
            message = _summarise(error.detail)
        return body(error.status_code, message, code, details), error.status_code, error.headers

    @app.errorhandler(HTTPException)
    def werkzeug_error(exc: HTTPException) -> tuple[dict, int, Any]:
        status = exc.code or 500
        message = exc.description or exc.name
        cause = getattr(exc, "exc", None)  # webargs attaches the decoding error it caught
        utf8 = cause.__cause__ if cause is not None else None
        if isinstance(utf8, UnicodeDecodeError):
            message = f"request body is not valid UTF-8 ({utf8.reason} at byte {utf8.start})"
        elif isinstance(cause, ValueError):
            message = f"request body is not valid JSON: {cause}"
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            allowed = ", ".join(m for m in exc.valid_methods if m not in ("HEAD", "OPTIONS"))
            message = f"{request.method} is not allowed at {request.path}: use {allowed}"
        if status == 404 and (request.path + "/").startswith("/api/"):
            message = f"no API endpoint at {request.path}"
        if status == 429:
            message = f"rate limit exceeded: {message}"
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"request body is larger than {limit:,} bytes"
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body(status, message), status, headers

    @app.errorhandler(ServiceError)
    def refused(exc: ServiceError) -> tuple[dict, int, Any]:
        headers = {"Retry-After": RETRY_AFTER} if exc.status == 503 else {}
        return body(exc.status, exc.message, exc.code, exc.details), exc.status, headers

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(exc: Exception) -> tuple[dict, int, Any]:
        log.error("database unavailable: %s", exc)
        message = "the database is not answering: try again shortly"
        headers = {"Retry-After": RETRY_AFTER}
        return body(503, message, "database_unavailable"), 503, headers

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[dict, int]:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return werkzeug_error(exc)  # type: ignore[return-value]
        log.exception("unhandled error")
        return body(500, "internal server error"), 500
