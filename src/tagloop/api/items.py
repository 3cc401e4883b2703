"""Items: import unlabelled texts into a project (admin), as JSON or as a file, and count
them."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators
from flask import Response, stream_with_context

from tagloop.api.auth import labeller, requires
from tagloop.api.context import core, project
from tagloop.api.errors import read_upload, upload
from tagloop.api.schemas import Text, VisibleText
from tagloop.ml.datasets import DataError
from tagloop.ml.unlabelled import TEXT_FORMATS, read_texts
from tagloop.service import items, label_export
from tagloop.service.access import Action

bp = APIBlueprint("items", __name__, url_prefix="/api/v1", tag="Labelling")
ADMIN: dict[str, Any] = {"security": "AdminToken"}


class ItemsIn(Schema):
    texts = fields.List(VisibleText(), required=True, validate=validators.Length(min=1))
    metadata = fields.List(
        fields.Dict(allow_none=True),
        load_default=None,
        metadata={"description": "One object per text (or null), kept beside it and shown."},
    )


class ItemsFileForm(Schema):
    file = fields.File(required=True, metadata={"description": "The file of unlabelled texts."})
    format = fields.String(
        validate=validators.OneOf(TEXT_FORMATS),
        metadata={"description": "Default: from the file name (.csv, .tsv, .jsonl; else lines)."},
    )
    text_column = Text(load_default="text", validate=validators.Length(min=1, max=200))


class ImportOut(Schema):
    source = fields.String(required=True)
    rows = fields.Integer(required=True, metadata={"description": "Texts read."})
    added = fields.Integer(required=True, metadata={"description": "New items."})
    labelled = fields.Integer(
        required=True, metadata={"description": "New items that came labelled (Label Studio)."}
    )
    duplicates = fields.Integer(
        required=True, metadata={"description": "Rows repeating a text earlier in the same input."}
    )
    already_present = fields.Integer(
        required=True, metadata={"description": "Rows whose text the project already held."}
    )


class ItemCounts(Schema):
    items = fields.Integer(required=True)
    labelled = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
    open = fields.Integer(required=True)
    by_label = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


@bp.post("/items")
@bp.input(ItemsIn, arg_name="body")
@bp.output(ImportOut, status_code=201)
@bp.doc(summary="Add unlabelled texts (admin)", responses=[201, 409, 422], **ADMIN)
@requires(Action.IMPORT)
def add_items(body: dict[str, Any]) -> dict[str, Any]:
    """All or nothing: a bad text is a 422 naming it (``request:N``, counting from 1)."""
    the_core = core()
    try:
        rows = items.check_texts(the_core, body["texts"], body["metadata"], "request")
    except DataError as exc:
        raise items.data_error(exc) from exc
    return items.add_items(the_core, project(), rows).as_dict()


@bp.post("/items/file")
@bp.input(ItemsFileForm, location="form_and_files", arg_name="form")
@bp.output(ImportOut, status_code=201)
@bp.doc(
    summary="Add unlabelled texts from a file (admin)",
    description="CSV/TSV with a header (the text column; other columns are kept as metadata), "
    "JSON Lines (the text field; other fields are kept), one text a line, or a Label Studio "
    "JSON export (tasks with data.text; annotated tasks come in labelled). A bad line is a "
    "422 naming the file and line, and nothing is stored.",
    responses=[201, 409, 422],
    **ADMIN,
)
@requires(Action.IMPORT)
@upload
def add_items_file(form: dict[str, Any]) -> dict[str, Any]:
    the_core = core()
    rows, name = read_upload(
        form["file"],
        lambda path: read_texts(
            path,
            format=form.get("format"),
            text_column=form["text_column"],
            max_length=the_core.settings.max_text_length,
        ),
    )
    rows.source = name
    return items.add_items(the_core, project(), rows, labelled_by=labeller()).as_dict()


@bp.get("/items/counts")
@bp.output(ItemCounts)
@bp.doc(summary="How many items are imported, labelled, skipped and open; labels per label")
@requires(Action.READ_INFO)
def item_counts() -> dict[str, Any]:
    return items.counts(core(), project())


class ExportQuery(Schema):
    format = fields.String(
        load_default="csv",
        validate=validators.OneOf(label_export.FORMATS),
        metadata={"description": "csv, jsonl, or labelstudio (Label Studio's JSON tasks)."},
    )


EXPORT_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "labelstudio": "application/json",
}
EXPORT_RESPONSE: dict[int | str, Any] = {
    200: {"description": "the file", "content": {t: {} for t in EXPORT_TYPES.values()}}
}
EXPORT_SUFFIX = {"csv": "csv", "jsonl": "jsonl", "labelstudio": "json"}


@bp.get("/items/export")
@bp.input(ExportQuery, location="query", arg_name="query")
@bp.doc(
    summary="Export the labelled items (CSV, JSON Lines or Label Studio JSON)",
    responses=EXPORT_RESPONSE,
)
@requires(Action.READ)
def export_items(query: dict[str, Any]) -> Response:
    """Text, label, who labelled it, when, and the kept metadata; CSV cells a spreadsheet
    would run as formulas start with a quote."""
    kind = query["format"]
    ref = project()
    name = f"{ref.slug}-labels.{EXPORT_SUFFIX[kind]}"
    return Response(
        stream_with_context(label_export.export(core(), ref, kind)),
        mimetype=EXPORT_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
