"""Admin endpoints need ``Authorization: Bearer <TAGLOOP_ADMIN_TOKEN>``.

With no token configured, admin endpoints are refused rather than left open.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request

from tagloop.api.context import settings
from tagloop.api.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])


def admin_actor() -> str:
    """Check the bearer token and return a name for the audit log."""
    expected = settings().admin_token
    if not expected:
        raise ApiError(
            403,
            "admin actions are disabled: set TAGLOOP_ADMIN_TOKEN on the server",
            code="admin_disabled",
        )
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "admin token required: send 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, "admin token is not valid", code="invalid_token")
    return request.headers.get("X-Tagloop-Actor", "admin")[:200]


def admin_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["actor"] = admin_actor()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
