"""Stored predictions: list with filters, read one, export as CSV, and give feedback."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from apiflask import APIBlueprint
from flask import Response, request, stream_with_context
from sqlalchemy import Select, false, func, select, update

from tagloop import csvsafe
from tagloop.api import observability
from tagloop.api.clients import client_id
from tagloop.api.context import store
from tagloop.api.errors import ApiError
from tagloop.api.predicting import iso, writer
from tagloop.api.schemas import (
    FeedbackIn,
    PredictionDetailOut,
    PredictionPage,
    PredictionQuery,
)
from tagloop.store.models import Feedback, Prediction, utcnow

bp = APIBlueprint("predictions", __name__, url_prefix="/api/v1", tag="Predictions")
EXPORT_LIMIT = 100_000
CSV_RESPONSE: dict[int | str, Any] = {200: {"description": "CSV", "content": {"text/csv": {}}}}


def serialize(p: Prediction) -> dict[str, Any]:
    feedback = None
    if p.feedback_label is not None:
        feedback = {
            "label": p.feedback_label,
            "created_at": iso(p.feedback_at) if p.feedback_at else None,
            "agrees": p.feedback_label == p.label,
        }
    return {
        "id": p.id,
        "text": p.text,
        "text_sha256": p.text_sha256,
        "label": p.label,
        "confidence": p.confidence,
        "probabilities": p.probabilities,
        "model_version": p.model_version,
        "created_at": iso(p.created_at),
        "source": p.source,
        "feedback": feedback,
    }


def filtered(query: dict[str, Any]) -> Select[Any]:
    stmt = select(Prediction)
    if query.get("mine"):
        cid, new = client_id()  # a new caller gets its id (and cookie) here, and no rows yet
        stmt = stmt.where(false() if new else Prediction.client_id == cid)
    if "label" in query:
        stmt = stmt.where(Prediction.label == query["label"])
    if "model_version" in query:
        stmt = stmt.where(Prediction.model_version == query["model_version"])
    state = query.get("feedback")
    if state == "none":
        stmt = stmt.where(Prediction.feedback_label.is_(None))
    elif state == "given":
        stmt = stmt.where(Prediction.feedback_label.is_not(None))
    elif state == "agree":
        stmt = stmt.where(Prediction.feedback_label == Prediction.label)
    elif state == "disagree":
        stmt = stmt.where(Prediction.feedback_label != Prediction.label)
    if query.get("q"):
        pattern = (
            "%" + query["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        stmt = stmt.where(Prediction.text.ilike(pattern, escape="\\"))
    if "since" in query:
        stmt = stmt.where(Prediction.created_at >= query["since"])
    if "until" in query:
        stmt = stmt.where(Prediction.created_at < query["until"])
    if "min_confidence" in query:
        stmt = stmt.where(Prediction.confidence >= query["min_confidence"])
    if "max_confidence" in query:
        stmt = stmt.where(Prediction.confidence <= query["max_confidence"])
    return stmt


@bp.get("/predictions")
@bp.input(PredictionQuery, location="query", arg_name="query")
@bp.output(PredictionPage)
@bp.doc(summary="List stored predictions, newest first, with filters")
def list_predictions(query: dict[str, Any]) -> dict[str, Any]:
    """Paginated predictions. ``feedback`` is one of none, given, agree, disagree."""
    stmt = filtered(query)
    page, per_page = query["page"], query["per_page"]
    with store().session() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(
            stmt.order_by(Prediction.id.desc()).offset((page - 1) * per_page).limit(per_page)
        )
        items = [serialize(p) for p in rows]
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise ApiError(
            404, f"page {page} does not exist (there are {pages})", code="page_not_found"
        )
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": pages}


@bp.get("/predictions/export")
@bp.input(PredictionQuery, location="query", arg_name="query")
@bp.doc(
    summary="Export the filtered predictions as CSV",
    responses=CSV_RESPONSE,
)
def export_predictions(query: dict[str, Any]) -> Response:
    """CSV of the predictions matching the same filters as the list (up to 100,000 rows)."""
    stmt = filtered(query).order_by(Prediction.id.desc()).limit(EXPORT_LIMIT)
    # The query runs before the response starts, so a failure is a JSON error, not a
    # CSV cut short behind a 200; the session closes with the response, read or not.
    session = store().session()
    try:
        result = session.scalars(stmt.execution_options(yield_per=1000))
    except Exception:
        session.close()
        raise

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csvsafe.writer(buffer)  # formulas are neutralised (OWASP)
        writer.writerow(
            [
                "id",
                "created_at",
                "text",
                "label",
                "confidence",
                "model_version",
                "feedback_label",
                "probabilities",
            ]
        )
        for p in result:
            writer.writerow(
                [
                    p.id,
                    iso(p.created_at),
                    p.text or "",
                    p.label,
                    f"{p.confidence:.6f}",
                    p.model_version,
                    p.feedback_label or "",
                    json.dumps(p.probabilities),
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    headers = {"Content-Disposition": 'attachment; filename="predictions.csv"'}
    response = Response(stream_with_context(rows()), mimetype="text/csv", headers=headers)
    response.call_on_close(session.close)
    return response


def _get(session: Any, prediction_id: int) -> Prediction:
    # An id past BIGINT would make the database driver raise instead of finding nothing.
    row = session.get(Prediction, prediction_id) if prediction_id < 2**63 else None
    if row is None:
        raise ApiError(404, f"prediction {prediction_id} does not exist")
    return row


def detail(session: Any, row: Prediction) -> dict[str, Any]:
    out = serialize(row)
    history = session.scalars(
        select(Feedback).where(Feedback.prediction_id == row.id).order_by(Feedback.id)
    ).all()
    out["feedback_history"] = [
        {
            "label": f.label,
            "comment": f.comment,
            "reviewer": f.reviewer,
            "created_at": iso(f.created_at),
        }
        for f in history
    ]
    if out["feedback"] and history:
        out["feedback"].update(comment=history[-1].comment, reviewer=history[-1].reviewer)
    return out


@bp.get("/predictions/<int:prediction_id>")
@bp.output(PredictionDetailOut)
@bp.doc(summary="One prediction with its whole feedback history")
def get_prediction(prediction_id: int) -> dict[str, Any]:
    """A stored prediction and every feedback change."""
    writer().wait_for(prediction_id)
    with store().session() as session:
        return detail(session, _get(session, prediction_id))


@bp.post("/predictions/<int:prediction_id>/feedback")
@bp.input(FeedbackIn, arg_name="body")
@bp.output(PredictionDetailOut)
@bp.doc(summary="Give or change feedback: the correct label and an optional comment")
def give_feedback(prediction_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Record the correct label. Every change is kept; the newest one counts."""
    writer().wait_for(prediction_id)
    with store().transaction() as session:
        row = _get(session, prediction_id)
        labels = set(row.probabilities)
        if body["label"] not in labels:
            raise ApiError(
                422,
                f"label {body['label']!r} is not one of {', '.join(sorted(labels))}",
                code="unknown_label",
                details={"label": body["label"], "labels": sorted(labels)},
            )
        now = utcnow()
        reviewer = (
            body["reviewer"] or request.headers.get("X-Tagloop-Reviewer", "") or client_id()[0]
        )
        session.add(
            Feedback(
                prediction_id=row.id,
                label=body["label"],
                comment=body["comment"],
                reviewer=reviewer[:200],
                created_at=now,
            )
        )
        session.execute(
            update(Prediction)
            .where(Prediction.id == row.id)
            .values(feedback_label=body["label"], feedback_at=now)
        )
        session.flush()
        session.refresh(row)
        out = detail(session, row)
    observability.count_feedback()
    return out
