"""Classify texts with the served model and store each prediction.

This is the hot path: no ORM objects, the backend's fast single-text route, and a writer
that stores rows through the driver (store/writer.py) — on SQLite a moment after the
response, in batches (store/deferred.py).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request

from tagloop.api import observability
from tagloop.api.context import settings
from tagloop.api.errors import ApiError
from tagloop.api.serving import Served, holder
from tagloop.store.models import utcnow
from tagloop.store.writer import PredictionWriter

log = logging.getLogger(__name__)

# Classify calls store rows without reading any: they need not wait for earlier ones.
CLASSIFY_ENDPOINT = "classify.classify"


def writer() -> PredictionWriter:
    writer: PredictionWriter = current_app.extensions["tagloop.writer"]
    return writer


def served_model() -> Served:
    served = holder().current()
    if served is None:
        raise ApiError(
            503,
            "no model is active: train one with 'tagloop train --activate'",
            code="no_active_model",
        )
    return served


def classify(
    texts: list[str], *, source: str, client: str | None, explain: bool = False
) -> tuple[Served, list[dict]]:
    """Classify and store ``texts`` for ``client`` (None: an anonymous caller)."""
    served = served_model()  # taken once: the whole response comes from this version
    model = served.model
    if len(texts) == 1:
        probabilities = [model.predict_proba_one(texts[0]).tolist()]
    else:
        probabilities = model.predict_proba(texts).tolist()
    labels = served.labels
    now = utcnow()
    keep_text = settings().store_text
    rows = []
    for text, p in zip(texts, probabilities, strict=True):
        k = max(range(len(p)), key=p.__getitem__)  # the first of equals, as argmax
        rows.append(
            {
                "created_at": now,
                "client_id": client,
                "model_version": served.version,
                "text": text if keep_text else None,
                "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "label": labels[k],
                "confidence": p[k],
                "probabilities": dict(zip(labels, p, strict=True)),
                "source": source,
            }
        )
    ids = writer().insert(rows)
    observability.count_predictions([row["label"] for row in rows])
    results = []
    for row, pid, text in zip(rows, ids, texts, strict=True):
        out = public(row, pid)
        if explain:
            out["explanation"] = [c.as_dict() for c in model.explain(text, row["label"])]
        results.append(out)
    return served, results


def init_app(app: Flask) -> None:
    @app.before_request
    def read_own_writes() -> None:
        # Rows this process accepted but has not written yet are written before any other
        # request runs, so whatever this process reads includes them.
        rows = writer()
        if rows.pending() and request.endpoint != CLASSIFY_ENDPOINT:
            try:
                rows.flush()
            except Exception:  # the writer's thread retries and /readyz reports it
                log.exception("could not write pending predictions")


def public(row: dict[str, Any], pid: int, feedback: dict | None = None) -> dict[str, Any]:
    return {
        "id": pid,
        "text": row["text"],
        "text_sha256": row["text_sha256"],
        "label": row["label"],
        "confidence": row["confidence"],
        "probabilities": row["probabilities"],
        "model_version": row["model_version"],
        "created_at": iso(row["created_at"]),
        "source": row["source"],
        "feedback": feedback,
    }


def iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds") + "Z"
