"""Stored predictions: list with filters, read one, export as CSV, and give feedback."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, request, stream_with_context

from tagloop.api import observability
from tagloop.api.auth import actor, caller, require, requires
from tagloop.api.clients import client_id
from tagloop.api.context import core, project
from tagloop.api.schemas import FeedbackIn, PredictionDetailOut, PredictionPage, PredictionQuery
from tagloop.service import predictions
from tagloop.service.access import Action

bp = APIBlueprint("predictions", __name__, url_prefix="/api/v1", tag="Predictions")
CSV_RESPONSE: dict[int | str, Any] = {200: {"description": "CSV", "content": {"text/csv": {}}}}


def _client(query: dict[str, Any]) -> str | None:
    """The caller's id for ``mine=true`` (a new caller gets one, and no rows yet); without
    ``mine`` the caller must be allowed to read everyone's."""
    if not query.get("mine"):
        require(Action.READ)
        return None
    cid, new = client_id()
    return None if new else cid


def _owner() -> predictions.Owner:
    """Everyone's predictions for a reader of the project; an anonymous caller only its
    own (by its cookie), so one anonymous client never reads another's texts."""
    if caller().can(Action.READ, project()):
        return predictions.Owner()
    cid, new = client_id()
    return predictions.Owner(None if new else cid, restricted=True)


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in query.items() if k not in ("page", "per_page")}


@bp.get("/predictions")
@bp.input(PredictionQuery, location="query", arg_name="query")
@bp.output(PredictionPage)
@bp.doc(summary="List stored predictions, newest first, with filters", responses=[200, 404])
@requires(Action.READ_OWN)
def list_predictions(query: dict[str, Any]) -> dict[str, Any]:
    """Paginated predictions. ``feedback`` is one of none, given, agree, disagree."""
    return predictions.list_page(
        core(),
        project(),
        _filters(query),
        page=query["page"],
        per_page=query["per_page"],
        client=_client(query),
    )


@bp.get("/predictions/export")
@bp.input(PredictionQuery, location="query", arg_name="query")
@bp.doc(summary="Export the filtered predictions as CSV", responses=CSV_RESPONSE)
@requires(Action.READ_OWN)
def export_predictions(query: dict[str, Any]) -> Response:
    """CSV of the predictions matching the same filters as the list (up to 100,000 rows);
    cells that a spreadsheet would run as formulas start with a quote."""
    export = predictions.export_csv(core(), project(), _filters(query), _client(query))
    headers = {"Content-Disposition": f'attachment; filename="{project().slug}-predictions.csv"'}
    response = Response(stream_with_context(iter(export)), mimetype="text/csv", headers=headers)
    response.call_on_close(export.close)
    return response


@bp.get("/predictions/<int:prediction_id>")
@bp.output(PredictionDetailOut)
@bp.doc(summary="One prediction with its whole feedback history")
@requires(Action.READ_OWN)
def get_prediction(prediction_id: int) -> dict[str, Any]:
    """A stored prediction and every feedback change."""
    return dict(predictions.get(core(), project(), prediction_id, _owner()))


@bp.post("/predictions/<int:prediction_id>/feedback")
@bp.input(FeedbackIn, arg_name="body")
@bp.output(PredictionDetailOut)
@bp.doc(
    summary="Give or change feedback: the correct label and an optional comment",
    responses=[200, 404, 409],
)
@requires(Action.FEEDBACK)
def give_feedback(prediction_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Record the correct label. Every change is kept; the newest one counts. The feedback
    is stored before the answer leaves."""
    who = caller()
    if who.signed_in:  # a signed-in person is who they are, whatever the body says
        reviewer = actor()
    else:
        reviewer = (
            body["reviewer"] or request.headers.get("X-Tagloop-Reviewer", "") or client_id()[0]
        )
    out = predictions.give_feedback(
        core(),
        project(),
        prediction_id,
        label=body["label"],
        comment=body["comment"],
        reviewer=reviewer,
        user_id=who.user_id,
        owner=_owner(),
    )
    observability.count_feedback(project().slug)
    return dict(out)
