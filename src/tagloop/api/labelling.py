"""Labelling: the next items to label, a person's label / skip / undo, and adding a label on
the spot, each by ``auth.labeller()``."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators

from tagloop.api.auth import labeller, requires
from tagloop.api.context import core, project
from tagloop.api.schemas import LabelIn, LabelOut, Text
from tagloop.service import label_training, labelling, projects
from tagloop.service.access import Action

bp = APIBlueprint("labelling", __name__, url_prefix="/api/v1", tag="Labelling")


class NextQuery(Schema):
    limit = fields.Integer(
        load_default=1, validate=validators.Range(min=1, max=labelling.MAX_BATCH)
    )


class ItemOut(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    metadata = fields.Dict(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["open", "labelled", "skipped"]})
    label = fields.String(required=True, allow_none=True)
    labelled_by = fields.String(required=True)
    labelled_at = fields.String(required=True, allow_none=True)
    suggestion = fields.String(
        required=True, allow_none=True, metadata={"description": "The active model's label."}
    )
    confidence = fields.Float(required=True, allow_none=True)


class ItemList(Schema):
    items = fields.List(fields.Nested(ItemOut), required=True)


class LabelBody(Schema):
    label = Text(required=True, validate=validators.Length(min=1, max=200))


class CurvePoint(Schema):
    labels = fields.Integer(required=True, metadata={"description": "The first n labels."})
    accuracy = fields.Float(required=True, allow_none=True)
    macro_f1 = fields.Float(required=True, allow_none=True)
    accuracy_change = fields.Float(
        required=True, allow_none=True, metadata={"description": "Since the previous point."}
    )


class CurveOut(Schema):
    points = fields.List(fields.Nested(CurvePoint), required=True)


class LabelList(Schema):
    labels = fields.List(fields.Nested(LabelOut), required=True)


@bp.get("/labelling/next")
@bp.input(NextQuery, location="query", arg_name="query")
@bp.output(ItemList)
@bp.doc(summary="The next items to label, held for you for 10 minutes")
@requires(Action.LABEL)
def next_items(query: dict[str, Any]) -> dict[str, Any]:
    """Items you already hold first, then the queue's next ones (a diverse sample before the
    first model; then what the model is least sure of, with 20% random). Nobody else is
    given them while you hold them; an empty list means nothing is left to label."""
    return {"items": labelling.next_items(core(), project(), labeller(), query["limit"])}


@bp.post("/labelling/items/<int:item_id>/label")
@bp.input(LabelBody, arg_name="body")
@bp.output(ItemOut)
@bp.doc(summary="Label an item", responses=[200, 404, 409, 422])
@requires(Action.LABEL)
def label_item(item_id: int, body: dict[str, Any]) -> labelling.ItemOut:
    """409 if the item is already labelled or skipped, or someone else holds it. Enough
    labels queue the project's first model, and later ones (see docs/labelling.md)."""
    the_core, ref = core(), project()
    out = labelling.label(the_core, ref, item_id, body["label"], labeller())
    label_training.after_label(the_core, ref)
    return out


@bp.post("/labelling/items/<int:item_id>/skip")
@bp.output(ItemOut)
@bp.doc(summary="Skip an item: it is not asked again", responses=[200, 404, 409])
@requires(Action.LABEL)
def skip_item(item_id: int) -> labelling.ItemOut:
    return labelling.skip(core(), project(), item_id, labeller())


@bp.post("/labelling/undo")
@bp.output(ItemOut)
@bp.doc(summary="Reopen your last labelled or skipped item", responses=[200, 404])
@requires(Action.LABEL)
def undo() -> labelling.ItemOut:
    """The item is handed back to you (it comes first in your next items)."""
    return labelling.undo(core(), project(), labeller())


@bp.post("/labelling/labels")
@bp.input(LabelIn, arg_name="body")
@bp.output(LabelList, status_code=201)
@bp.doc(summary="Add a label to the project while labelling", responses=[201, 422])
@requires(Action.LABEL)
def add_label(body: dict[str, Any]) -> dict[str, Any]:
    the_core, ref = core(), project()
    checked = projects.check_labels([body])[0]
    projects.add_labels(the_core.store, ref, [checked["name"]], display=checked["display"])
    fresh = the_core.project(ref.slug)
    return {"labels": [{"name": x.name, "display": x.display} for x in fresh.labels]}


@bp.get("/labelling/curve")
@bp.output(CurveOut)
@bp.doc(summary="Learning curve: cross-validated accuracy and macro-F1 against labels so far")
@requires(Action.READ)
def learning_curve() -> dict[str, Any]:
    """3-fold cross-validation of the default backend on the first n labels (in the order
    they were given), for n = 16, 32, 64… and all of them: when the curve flattens, more
    labels buy little. Empty below 16 labels."""
    return {"points": label_training.learning_curve(core(), project())}
