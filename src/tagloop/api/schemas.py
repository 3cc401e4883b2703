"""Request and response schemas: they validate requests and generate the OpenAPI document."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from apiflask import Schema, fields, validators
from flask import current_app
from marshmallow import ValidationError, validates, validates_schema

from tagloop.service.projects import PROMOTE_METRICS, SLUG


def _limits() -> tuple[int, int]:
    settings = current_app.extensions["tagloop.core"].settings
    return settings.max_text_length, settings.max_batch


class Text(fields.String):
    """A string the database can store: valid Unicode (JSON's ``\\ud800`` escapes decode to
    lone surrogates, which UTF-8 cannot encode) and no NUL (PostgreSQL refuses it). Every
    string a request carries, in the body or the query, is read with this field."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"not valid Unicode: a lone surrogate at position {exc.start}"
            ) from exc
        if "\x00" in text:
            raise ValidationError(f"contains a NUL character at position {text.index(chr(0))}")
        return text


class UtcDateTime(fields.DateTime):
    """An ISO 8601 time in any zone, read as the naive UTC the database stores."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as exc:
            raise ValidationError("time is out of range") from exc


def visible(value: str) -> bool:
    """Whether a text has a character a person can see (not only spaces, zero-width
    spaces, direction marks or other format characters)."""
    return any(ch.isprintable() and not ch.isspace() for ch in value)


def check_text(value: str) -> None:
    if not visible(value):
        raise ValidationError("text is empty")
    max_length, _ = _limits()
    if len(value) > max_length:
        raise ValidationError(f"text is longer than {max_length:,} characters ({len(value):,})")


class ClassifyIn(Schema):
    text = Text(metadata={"description": "One text to classify."})
    texts = fields.List(Text(), metadata={"description": "A batch of texts."})

    @validates("text")
    def _text(self, value: str, **_: Any) -> None:
        check_text(value)

    @validates("texts")
    def _texts(self, value: list[str], **_: Any) -> None:
        max_batch = _limits()[1]
        if not value:
            raise ValidationError("texts is empty")
        if len(value) > max_batch:
            raise ValidationError(f"too many texts: {len(value):,} (the limit is {max_batch:,})")
        errors: dict[int, list[str]] = {}
        for i, text in enumerate(value):
            try:
                check_text(text)
            except ValidationError as exc:
                errors[i] = exc.messages  # type: ignore[assignment]
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if ("text" in data) == ("texts" in data):
            raise ValidationError("send either 'text' or 'texts'", "_schema")


class ExplainQuery(Schema):
    explain = fields.Boolean(load_default=False)


class Contribution(Schema):
    token = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    weight = fields.Float()


class FeedbackOut(Schema):
    label = fields.String()
    comment = fields.String()
    reviewer = fields.String()
    created_at = fields.String()
    agrees = fields.Boolean()


class PredictionOut(Schema):
    id = fields.Integer()
    text = fields.String(allow_none=True)
    text_sha256 = fields.String()
    label = fields.String()
    confidence = fields.Float()
    probabilities = fields.Dict(keys=fields.String(), values=fields.Float())
    model_version = fields.Integer()
    created_at = fields.String()
    source = fields.String()
    feedback = fields.Nested(FeedbackOut, allow_none=True)
    explanation = fields.List(fields.Nested(Contribution), required=False)


class FeedbackHistoryItem(Schema):
    label = fields.String()
    comment = fields.String()
    reviewer = fields.String()
    created_at = fields.String()


class PredictionDetailOut(PredictionOut):
    feedback_history = fields.List(fields.Nested(FeedbackHistoryItem))


class BatchOut(Schema):
    model_version = fields.Integer()
    predictions = fields.List(fields.Nested(PredictionOut))


class TaskIn(Schema):
    title = Text(required=True)

    @validates("title")
    def _title(self, value: str, **_: Any) -> None:
        check_text(value)


class Task(Schema):
    title = fields.String(allow_none=True)
    tag = fields.String()


class TaskOut(Schema):
    result = fields.Nested(Task)


FEEDBACK_STATES = ("none", "given", "agree", "disagree")


MAX_PAGE = 1_000_000
MAX_INT32 = 2**31 - 1


class PredictionQuery(Schema):
    page = fields.Integer(load_default=1, validate=validators.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validators.Range(min=1, max=500))
    label = Text(validate=validators.Length(max=200))
    model_version = fields.Integer(validate=validators.Range(min=1, max=MAX_INT32))
    feedback = fields.String(validate=validators.OneOf(FEEDBACK_STATES))
    q = Text(validate=validators.Length(max=200))
    since = UtcDateTime()
    until = UtcDateTime()
    min_confidence = fields.Float(validate=validators.Range(min=0, max=1))
    max_confidence = fields.Float(validate=validators.Range(min=0, max=1))
    mine = fields.Boolean(load_default=False)


class PredictionPage(Schema):
    items = fields.List(fields.Nested(PredictionOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class FeedbackIn(Schema):
    label = Text(required=True, validate=validators.Length(min=1, max=200))
    comment = Text(load_default="", validate=validators.Length(max=2000))
    reviewer = Text(load_default="", validate=validators.Length(max=200))


class ReasonIn(Schema):
    reason = Text(load_default="", validate=validators.Length(max=1000))


class ModelOut(Schema):
    id = fields.Integer()
    created_at = fields.String()
    active = fields.Boolean()
    backend = fields.String()
    params = fields.Dict()
    labels = fields.List(fields.String())
    data = fields.Dict()
    eval_split = fields.Dict()
    metrics = fields.Dict()
    library_versions = fields.Dict()
    artifact = fields.Dict()
    train_seconds = fields.Float()
    parent_id = fields.Integer(allow_none=True)
    description = fields.String()


class ModelList(Schema):
    items = fields.List(fields.Nested(ModelOut))


class ActivationOut(Schema):
    id = fields.Integer()
    created_at = fields.String()
    model_id = fields.Integer()
    previous_model_id = fields.Integer(allow_none=True)
    action = fields.String()
    actor = fields.String()
    user = fields.String(
        allow_none=True,
        metadata={
            "description": "the signed-in user who did it (for a promotion: who asked "
            "for the retraining), by current name; null for the admin token, CLI or worker"
        },
    )
    reason = fields.String()


class ActivationList(Schema):
    items = fields.List(fields.Nested(ActivationOut))


class ActivateOut(Schema):
    active_model = fields.Nested(ModelOut)
    activation = fields.Nested(ActivationOut)


class StatsQuery(Schema):
    days = fields.Integer(load_default=30, validate=validators.Range(min=1, max=3650))
    model_version = fields.Integer(validate=validators.Range(min=1, max=MAX_INT32))


class StatsOut(Schema):
    days = fields.Integer()
    model_version = fields.Integer(allow_none=True)
    total_predictions = fields.Integer()
    feedback_count = fields.Integer()
    agreement_rate = fields.Float(allow_none=True)
    per_day = fields.List(fields.Dict())
    feedback_per_day = fields.List(fields.Dict())
    per_model = fields.List(fields.Dict())
    confidence_histogram = fields.Dict()


DATA_FORMATS = ("sms", "csv", "tsv", "jsonl")


class LabelOut(Schema):
    name = fields.String()
    display = fields.String()


class LabelIn(Schema):
    name = Text(required=True, validate=validators.Length(min=1, max=200))
    display = Text(load_default="", validate=validators.Length(max=200))


class ProjectSettingsIn(Schema):
    auto_retrain_after = fields.Integer(validate=validators.Range(min=0, max=MAX_INT32))
    auto_promote_metric = fields.String(validate=validators.OneOf(PROMOTE_METRICS))
    auto_promote_margin = fields.Float(validate=validators.Range(min=0, max=1))
    retention_days = fields.Integer(validate=validators.Range(min=0, max=MAX_INT32))
    anonymous_classify = fields.Boolean()
    anonymous_feedback = fields.Boolean()


class ProjectSettingsOut(ProjectSettingsIn):
    """Every setting, resolved (the project's own or the server's default)."""


class ProjectOut(Schema):
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    labels = fields.List(fields.Nested(LabelOut))
    created_at = fields.String()
    settings = fields.Nested(ProjectSettingsOut)
    active_version = fields.Integer(allow_none=True)
    predictions = fields.Integer()
    feedback = fields.Integer()
    agreement_rate = fields.Float(allow_none=True)


class ProjectList(Schema):
    items = fields.List(fields.Nested(ProjectOut))


class ProjectIn(Schema):
    slug = Text(
        required=True,
        validate=validators.Regexp(SLUG, error="1-64 lowercase letters, digits and '-'"),
        metadata={"description": "The project's name in URLs and on the command line."},
    )
    name = Text(load_default="", validate=validators.Length(max=200))
    description = Text(load_default="", validate=validators.Length(max=2000))
    labels = fields.List(fields.Nested(LabelIn), load_default=list)
    settings = fields.Nested(ProjectSettingsIn, load_default=dict)


class ProjectPatch(Schema):
    name = Text(validate=validators.Length(max=200))
    description = Text(validate=validators.Length(max=2000))
    labels = fields.List(fields.Nested(LabelIn))
    settings = fields.Nested(ProjectSettingsIn)


class TrainForm(Schema):
    file = fields.File(required=True, metadata={"description": "The labelled data file."})
    format = fields.String(validate=validators.OneOf(DATA_FORMATS))
    text_column = Text(load_default="text", validate=validators.Length(min=1, max=200))
    label_column = Text(load_default="label", validate=validators.Length(min=1, max=200))
    activate = fields.Boolean(load_default=False)
    description = Text(load_default="", validate=validators.Length(max=1000))


class InfoOut(Schema):
    version = fields.String()
    active_model = fields.Dict(allow_none=True)
    labels = fields.List(fields.String())
    label_names = fields.Dict(keys=fields.String(), values=fields.String())
    limits = fields.Dict()
    store_text = fields.Boolean()
    project = fields.Nested(ProjectOut)


# Output fields a response may leave out; every other field of an output schema is always
# there, and the OpenAPI document says so (generated clients get exact types).
OPTIONAL_OUTPUT = {
    "PredictionOut": {"explanation", "feedback_history"},
    "PredictionDetailOut": {"explanation"},
    "FeedbackOut": {"comment", "reviewer"},
}


def register_response_schemas(spec: Any) -> Any:
    """Finish the OpenAPI document.

    Adds schemas that views reference by hand (classify's oneOf), and folds the copies
    APIFlask makes when a schema is both nested and returned on its own ("ModelOut1") back
    into one component, so generated clients get one type per schema.
    """
    for name, schema in (("PredictionOut", PredictionOut), ("BatchOut", BatchOut)):
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
    schemas = spec.components.schemas
    renames = {
        f"#/components/schemas/{name}": f"#/components/schemas/{name.rstrip('0123456789')}"
        for name in list(schemas)
        if name[-1].isdigit() and name.rstrip("0123456789") in schemas
    }
    for ref in renames:
        schemas.pop(ref.rsplit("/", 1)[1])
    _rewrite_refs(spec._paths, renames)
    _rewrite_refs(schemas, renames)
    for name, schema in schemas.items():
        if name.endswith(("In", "Query", "Form", "Patch")):
            continue
        properties = schema.get("properties") or {}
        optional = OPTIONAL_OUTPUT.get(name, set())
        schema["required"] = [p for p in properties if p not in optional]
    _deprecate_legacy_paths(spec._paths)
    return spec


PROJECT_PREFIX = "/api/v1/projects/{project}"


def _deprecate_legacy_paths(paths: dict[str, Any]) -> None:
    """The un-prefixed /api/v1 routes serve the default project; each has a per-project
    twin, which clients should use."""
    for path, operations in paths.items():
        twin = PROJECT_PREFIX + path.removeprefix("/api/v1")
        if path.startswith("/api/v1/") and twin in paths:
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["deprecated"] = True
                    operation["description"] = (
                        operation.get("description", "")
                        + f"\n\nServes the default project; `{twin}` names the project."
                    ).strip()


def _rewrite_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in renames:
            node["$ref"] = renames[ref]
        for value in node.values():
            _rewrite_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, renames)
