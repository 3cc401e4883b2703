"""Liveness, readiness, Prometheus metrics, and what the web app needs to know at start."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response
from sqlalchemy import text

from tagloop.api.auth import requires
from tagloop.api.context import core
from tagloop.api.observability import metrics_response
from tagloop.service.access import Action
from tagloop.service.errors import ServiceError

bp = APIBlueprint("health", __name__, tag="Operations")


@bp.get("/healthz")
@bp.doc(summary="The process is alive")
@requires(Action.PUBLIC)
def healthz() -> dict[str, Any]:
    """Always 200 while the process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
@bp.doc(summary="The database answers and the served models load", responses=[200, 503])
@requires(Action.PUBLIC)
def readyz() -> tuple[dict[str, Any], int]:
    """503 while the database does not answer, the default project has no model to serve,
    or a project's active version cannot be loaded (named, with the reason); load
    balancers route traffic on this."""
    checks: dict[str, Any] = {}
    the_core = core()
    try:
        with the_core.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        return {"status": "not ready", "checks": checks}, 503
    try:
        default = the_core.project()
        served = the_core.models.served(default.id, default.slug)
        checks["model"] = f"version {served.version}"
    except ServiceError as exc:
        checks["model"] = exc.message
    except Exception as exc:  # the database went away between the two checks
        checks["model"] = f"error: {type(exc).__name__}"
    problems = the_core.models.problems()
    if problems:
        checks["projects"] = {str(pid): why for pid, why in problems.items()}
    ready = checks["model"].startswith("version ") and not problems
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


METRICS_RESPONSE: dict[int | str, Any] = {
    200: {
        "description": "Prometheus text format",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


@bp.get("/metrics")
@bp.doc(summary="Prometheus metrics", responses=METRICS_RESPONSE)
@requires(Action.PUBLIC)
def metrics() -> Response:
    """Requests and latency by endpoint and status, predictions by label, model version."""
    return metrics_response()
