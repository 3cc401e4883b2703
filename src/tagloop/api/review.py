"""The review queue (what a person should look at next) and the comparison of two versions."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators

from tagloop.api.auth import require, requires
from tagloop.api.context import core, project
from tagloop.api.schemas import MAX_INT32, ConfusionMatrix, ModelOut, PredictionOut
from tagloop.service.access import Action
from tagloop.service.models import compare_versions
from tagloop.service.review import review_queue

bp = APIBlueprint("review", __name__, url_prefix="/api/v1", tag="Review")


class ReviewQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=500))


class ReviewList(Schema):
    items = fields.List(fields.Nested(PredictionOut))


class CompareQuery(Schema):
    a = fields.Integer(
        required=True,
        validate=validators.Range(min=1, max=MAX_INT32),
        metadata={"description": "Version a (e.g. the active one)."},
    )
    b = fields.Integer(
        required=True,
        validate=validators.Range(min=1, max=MAX_INT32),
        metadata={"description": "Version b (e.g. a candidate)."},
    )
    fresh = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Recompute even if b stores a comparison with a (admin: it scores "
            "both versions inside the request; without the token, 403)."
        },
    )


class MetricDelta(Schema):
    a = fields.Float(allow_none=True)
    b = fields.Float(allow_none=True)
    delta = fields.Float(allow_none=True, metadata={"description": "b - a"})
    higher_is_better = fields.Boolean()


class Slice(Schema):
    rows = fields.Integer()
    metrics = fields.Dict(keys=fields.String(), values=fields.Nested(MetricDelta))


class ChangedRow(Schema):
    text = fields.String()
    label = fields.String(metadata={"description": "the true label"})
    a = fields.String(metadata={"description": "a's prediction"})
    b = fields.String(metadata={"description": "b's prediction"})
    source = fields.String(metadata={"enum": ["fixed", "feedback"]})


class Changes(Schema):
    now_right = fields.Integer(metadata={"description": "Changed rows b now gets right"})
    now_wrong = fields.Integer(metadata={"description": "Changed rows b now gets wrong"})


class SliceRows(Schema):
    fixed = fields.Integer()
    feedback = fields.Integer()


class Slices(Schema):
    fixed = fields.Nested(Slice)
    feedback = fields.Nested(Slice)


class ConfusionPair(Schema):
    a = fields.Nested(ConfusionMatrix)
    b = fields.Nested(ConfusionMatrix)


class CompareOut(Schema):
    a = fields.Nested(ModelOut)
    b = fields.Nested(ModelOut)
    metrics = fields.Dict(keys=fields.String(), values=fields.Nested(MetricDelta))
    slices = fields.Nested(Slices)
    confusion_matrices = fields.Nested(
        ConfusionPair, metadata={"description": "Both models' on the same evaluation rows"}
    )
    changed = fields.List(fields.Nested(ChangedRow))
    changed_count = fields.Integer()
    changes = fields.Nested(Changes)
    eval_rows = fields.Integer()
    rows = fields.Nested(SliceRows, metadata={"description": "Evaluation rows per slice"})
    computed_at = fields.String()
    stored = fields.Boolean(metadata={"description": "true: the comparison b was promoted on"})


@bp.get("/review")
@bp.input(ReviewQuery, location="query", arg_name="query")
@bp.output(ReviewList)
@bp.doc(summary="What to review next: disagreements, then the least confident")
@requires(Action.READ)
def review(query: dict[str, Any]) -> dict[str, Any]:
    """Predictions whose feedback disagrees with the model (newest feedback first), then
    predictions without feedback, least confident first, one per text, skipping texts
    that already have feedback."""
    return {"items": review_queue(core(), project(), query["limit"])}


@bp.get("/models/compare")
@bp.input(CompareQuery, location="query", arg_name="query")
@bp.output(CompareOut)
@bp.doc(
    summary="Compare two versions on rows neither was trained on",
    responses=[200, 401, 403, 404, 409],
)
@requires(Action.READ)
def compare_models(query: dict[str, Any]) -> dict[str, Any]:
    """Both versions scored on the fixed evaluation set(s) from the registry plus the
    held-out slice of feedback, minus any text either trained on: every metric side by
    side (delta = b - a), both confusion matrices and the messages they label differently.
    A candidate's stored comparison with the version it was retrained from is returned as
    stored unless ``fresh=true``."""
    if query["fresh"]:
        # Recomputing scores both versions inside the request: for those who may retrain.
        require(Action.RETRAIN)
    return compare_versions(core(), project(), query["a"], query["b"], fresh=query["fresh"])
