"""Liveness, readiness, Prometheus metrics, and what the web app needs to know at start."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response
from sqlalchemy import text

from tagloop import __version__
from tagloop.api.context import settings, store
from tagloop.api.observability import metrics_response
from tagloop.api.predicting import writer
from tagloop.api.schemas import InfoOut
from tagloop.api.serving import holder

bp = APIBlueprint("health", __name__, tag="Operations")


@bp.get("/healthz")
@bp.doc(summary="The process is alive")
def healthz() -> dict[str, Any]:
    """Always 200 while the process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
@bp.doc(summary="A model is loaded and the database answers", responses=[200, 503])
def readyz() -> tuple[dict[str, Any], int]:
    """503 until both are true; load balancers route traffic on this."""
    checks: dict[str, Any] = {}
    try:
        with store().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    served = holder().current()
    checks["model"] = (
        f"version {served.version}" if served else (holder().last_error or "none active")
    )
    writes = writer().last_error
    checks["prediction_writes"] = writes or "ok"
    ready = checks["database"] == "ok" and served is not None and not writes
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


@bp.get("/metrics")
@bp.doc(summary="Prometheus metrics", responses={200: "text format"})
def metrics() -> Response:
    """Requests and latency by endpoint and status, predictions by label, model version."""
    return metrics_response()


@bp.get("/api/v1/info")
@bp.output(InfoOut)
@bp.doc(summary="Active model, labels and limits (what a client needs at start)", tags=["Classify"])
def info() -> dict[str, Any]:
    """The active model's labels, their display names, and the request limits."""
    cfg = settings()
    served = holder().current()
    active = None
    labels: list[str] = []
    if served is not None:
        labels = list(served.labels)
        active = {"id": served.version, "backend": served.backend, "labels": labels}
    return {
        "version": __version__,
        "active_model": active,
        "labels": labels,
        "label_names": {k: v for k, v in cfg.label_names.items() if k in labels}
        if labels
        else cfg.label_names,
        "limits": {"max_text_length": cfg.max_text_length, "max_batch": cfg.max_batch},
        "store_text": cfg.store_text,
    }
