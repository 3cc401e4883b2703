"""The review queue (what a person should look at next) and the comparison of two versions."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators
from sqlalchemy import select

from tagloop.api.context import registry, store
from tagloop.api.errors import ApiError
from tagloop.api.predictions import serialize
from tagloop.api.schemas import MAX_INT32, ModelOut, PredictionOut
from tagloop.ml.compare import compare, feedback_holdout, side_from_registry
from tagloop.ml.registry import IntegrityError, NotFound, describe
from tagloop.ml.retrain import RetrainError, load_feedback
from tagloop.ml.snapshots import SnapshotError
from tagloop.store.models import Prediction

bp = APIBlueprint("review", __name__, url_prefix="/api/v1", tag="Review")
OVERFETCH = 5  # unreviewed rows read per slot, so repeats of one text can be skipped


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
        metadata={"description": "Recompute even if b stores a comparison with a."},
    )


class MetricDelta(Schema):
    a = fields.Float(allow_none=True)
    b = fields.Float(allow_none=True)
    delta = fields.Float(allow_none=True, metadata={"description": "b - a"})
    higher_is_better = fields.Boolean()


class Slice(Schema):
    rows = fields.Integer()
    metrics = fields.Dict(keys=fields.String(), values=fields.Nested(MetricDelta))


class ConfusionMatrix(Schema):
    labels = fields.List(fields.String())
    matrix = fields.List(fields.List(fields.Integer()), metadata={"description": "rows: true"})


class ChangedRow(Schema):
    text = fields.String()
    label = fields.String(metadata={"description": "the true label"})
    a = fields.String(metadata={"description": "a's prediction"})
    b = fields.String(metadata={"description": "b's prediction"})
    source = fields.String(metadata={"enum": ["fixed", "feedback"]})


class CompareOut(Schema):
    a = fields.Nested(ModelOut)
    b = fields.Nested(ModelOut)
    metrics = fields.Dict(keys=fields.String(), values=fields.Nested(MetricDelta))
    slices = fields.Dict(keys=fields.String(), values=fields.Nested(Slice))
    confusion_matrices = fields.Dict(keys=fields.String(), values=fields.Nested(ConfusionMatrix))
    changed = fields.List(fields.Nested(ChangedRow))
    changed_count = fields.Integer()
    changes = fields.Dict(keys=fields.String(), values=fields.Integer())
    eval_rows = fields.Integer()
    rows = fields.Dict(keys=fields.String(), values=fields.Integer())
    computed_at = fields.String()
    stored = fields.Boolean(metadata={"description": "true: the comparison b was promoted on"})


@bp.get("/review")
@bp.input(ReviewQuery, location="query", arg_name="query")
@bp.output(ReviewList)
@bp.doc(summary="What to review next: disagreements, then the least confident")
def review(query: dict[str, Any]) -> dict[str, Any]:
    """Predictions whose feedback disagrees with the model (newest feedback first), then
    predictions without feedback, least confident first, one per text, skipping texts
    that already have feedback."""
    limit = query["limit"]
    disagreeing = (
        select(Prediction)
        .where(
            Prediction.feedback_label.is_not(None), Prediction.feedback_label != Prediction.label
        )
        .order_by(Prediction.feedback_at.desc(), Prediction.id.desc())
        .limit(limit)
    )
    reviewed = select(Prediction.text_sha256).where(Prediction.feedback_label.is_not(None))
    uncertain = (
        select(Prediction)
        .where(Prediction.feedback_label.is_(None), Prediction.text_sha256.not_in(reviewed))
        .order_by(Prediction.confidence, Prediction.id.desc())
    )
    with store().session() as session:
        items = [serialize(p) for p in session.scalars(disagreeing)]
        seen: set[str] = set()
        if len(items) < limit:
            wanted = limit - len(items)
            for p in session.scalars(uncertain.limit(wanted * OVERFETCH)):
                if p.text_sha256 in seen:
                    continue
                seen.add(p.text_sha256)
                items.append(serialize(p))
                if len(seen) == wanted:
                    break
    return {"items": items}


@bp.get("/models/compare")
@bp.input(CompareQuery, location="query", arg_name="query")
@bp.output(CompareOut)
@bp.doc(summary="Compare two versions on rows neither was trained on")
def compare_models(query: dict[str, Any]) -> dict[str, Any]:
    """Both versions scored on the fixed evaluation set(s) from the registry plus the
    held-out slice of feedback, minus any text either trained on: every metric side by
    side (delta = b - a), both confusion matrices and the messages they label differently.
    A candidate's stored comparison with the version it was retrained from is returned as
    stored unless ``fresh=true``."""
    reg = registry()
    try:
        row_a, row_b = reg.get(query["a"]), reg.get(query["b"])
    except NotFound as exc:
        raise ApiError(404, str(exc)) from exc
    stored = row_b.comparison or {}
    if not query["fresh"] and stored.get("a_id") == row_a.id and stored.get("b_id") == row_b.id:
        result, is_stored = stored, True
    else:
        try:
            side_a, side_b = side_from_registry(reg, row_a), side_from_registry(reg, row_b)
            result = compare(side_a, side_b, feedback_holdout(load_feedback(store())))
        except (RetrainError, SnapshotError, IntegrityError, ValueError) as exc:
            raise ApiError(409, str(exc), code="cannot_compare") from exc
        is_stored = False
    active_id = reg.active_id()
    return {
        **result,
        "a": describe(row_a, active_id=active_id),
        "b": describe(row_b, active_id=active_id),
        "stored": is_stored,
    }
