"""Request and response schemas: they validate requests and generate the OpenAPI document."""

from __future__ import annotations

import operator
import re
from datetime import UTC, datetime
from typing import Any

from apiflask import Schema, fields, validators
from flask import current_app
from marshmallow import ValidationError, validates, validates_schema

from tagloop.service.access import Action
from tagloop.service.projects import MAX_LABELS, PROMOTE_METRICS, SLUG


def _limits() -> tuple[int, int]:
    settings = current_app.extensions["tagloop.core"].settings
    return settings.max_text_length, settings.max_batch


# Patterns the OpenAPI document gives the strings the server checks, so that a request the
# schema allows is one the server takes. ECMA-262 and Python read them alike.
NO_NUL = r"^[^\u0000]*$"
# At least one character a person can see. The server's rule (``visible``) takes any
# printable character; the pattern names a subset of them (ASCII, Latin, Cyrillic, kana,
# CJK, Hangul), so a text it allows is one the server takes.
VISIBLE = (
    r"^[^\u0000]*[!-~\u00a1-\u00ac\u00ae-\u02ff\u0400-\u04ff\u3041-\u3096"
    r"\u30a1-\u30fa\u4e00-\u9fff\uac00-\ud7a3][^\u0000]*$"
)
# At least one character that is not white space (Python's and ECMA's \s differ on a few).
NOT_BLANK = r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$"


class Text(fields.String):
    """A string the database can store: valid Unicode (JSON's ``\\ud800`` escapes decode to
    lone surrogates, which UTF-8 cannot encode) and no NUL (PostgreSQL refuses it). Every
    string a request carries, in the body or the query, is read with this field.

    ``pattern`` is what the OpenAPI document says of it (unless a ``Regexp`` validator
    gives its own)."""

    pattern = NO_NUL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", None) or {})
        validate = kwargs.get("validate")
        checks = validate if isinstance(validate, list | tuple) else [validate]
        if not any(isinstance(v, validators.Regexp) for v in checks):
            metadata.setdefault("pattern", self.pattern)
        super().__init__(*args, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        check_storable(text)
        return text


def check_storable(text: str) -> None:
    """Refuse a string the database cannot store (what ``Text`` checks of every string)."""
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"not valid Unicode: a lone surrogate at position {exc.start}"
        ) from exc
    if "\x00" in text:
        raise ValidationError(f"contains a NUL character at position {text.index(chr(0))}")


class UtcDateTime(fields.DateTime):
    """An ISO 8601 time in any zone, read as the naive UTC the database stores."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            # A valid time whose UTC falls outside years 1-9999 (0001-01-01T00:00+05:00):
            # as a filter bound it means "from the start" or "to the end" of time.
            return datetime.min if moment.year == 1 else datetime.max


class VisibleText(Text):
    """A text to classify (or a task's title): it must show something (``check_text``)."""

    pattern = VISIBLE


class NotBlankText(Text):
    pattern = NOT_BLANK


class TextList(fields.List):
    """A list of ``Text`` items (``TextList(VisibleText())``) read in a few C-level passes
    when every item is a string the database can store: marshmallow's item-by-item route
    cost ~2 µs a text, a sixth of a batch's own CPU. A list with anything else takes that
    route, so its errors name each item as before."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if type(value) is list and value and set(map(type, value)) == {str}:
            try:
                check_storable("\n".join(value))  # one pass over all of them
            except ValidationError:
                pass  # item by item below, so the error names the item
            else:
                return list(value)
        return super()._deserialize(value, attr, data, **kwargs)


def all_visible(values: list[str]) -> bool:
    """``visible`` of every text, mostly in C: the first character after leading white
    space decides for nearly every text; only a text where it does not is checked whole."""
    firsts = list(map(_FIRST, map(str.lstrip, values)))
    if "".join(firsts).isprintable() and all(firsts):
        return True
    return all(map(visible, values))


_FIRST = operator.itemgetter(slice(0, 1))


def visible(value: str) -> bool:
    """Whether a text has a character a person can see (not only spaces, zero-width
    spaces, direction marks or other format characters)."""
    return any(ch.isprintable() and not ch.isspace() for ch in value)


def check_text(value: str, max_length: int | None = None) -> None:
    """Refuse a text that shows nothing or is longer than ``max_length`` (by default the
    server's limit; a batch passes it, read once)."""
    if not visible(value):
        raise ValidationError("text is empty")
    if max_length is None:
        max_length = _limits()[0]
    if len(value) > max_length:
        raise ValidationError(f"text is longer than {max_length:,} characters ({len(value):,})")


class ClassifyIn(Schema):
    text = VisibleText(metadata={"description": "One text to classify."})
    texts = TextList(
        VisibleText(),
        metadata={
            "description": "A batch of texts (with `?explain=true`, at most "
            "`limits.max_explain_batch`)."
        },
    )

    @validates("text")
    def _text(self, value: str, **_: Any) -> None:
        check_text(value)

    @validates("texts")
    def _texts(self, value: list[str], **_: Any) -> None:
        max_length, max_batch = _limits()
        if not value:
            raise ValidationError("texts is empty")
        if len(value) > max_batch:
            raise ValidationError(f"too many texts: {len(value):,} (the limit is {max_batch:,})")
        if max(map(len, value)) <= max_length and all_visible(value):
            return  # the common case; otherwise each text's problem is named below
        errors: dict[int, list[str]] = {}
        for i, text in enumerate(value):
            try:
                check_text(text, max_length)
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


class FeedbackDetailOut(FeedbackOut):
    """Feedback on one prediction's detail: with its comment and reviewer."""


class PredictionDetailOut(PredictionOut):
    feedback = fields.Nested(FeedbackDetailOut, allow_none=True)
    feedback_history = fields.List(fields.Nested(FeedbackHistoryItem))


class BatchOut(Schema):
    model_version = fields.Integer()
    predictions = fields.List(fields.Nested(PredictionOut))


class TaskIn(Schema):
    title = VisibleText(required=True)

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
    label = Text(
        required=True,
        validate=validators.Length(min=1, max=200),
        metadata={
            "description": "One of the prediction's model's labels or the project's labels "
            "(another is refused with 409 `unknown_label`)."
        },
    )
    comment = Text(load_default="", validate=validators.Length(max=2000))
    reviewer = Text(load_default="", validate=validators.Length(max=200))


class ReasonIn(Schema):
    reason = Text(load_default="", validate=validators.Length(max=1000))


class ConfusionMatrix(Schema):
    labels = fields.List(fields.String())
    matrix = fields.List(fields.List(fields.Integer()), metadata={"description": "rows: true"})


class ClassMetrics(Schema):
    precision = fields.Float(allow_none=True)
    recall = fields.Float(allow_none=True)
    f1 = fields.Float(allow_none=True)
    support = fields.Integer()
    false_positive_rate = fields.Float(
        allow_none=True,
        metadata={"description": "The share of rows not of this class predicted as it."},
    )


class Reliability(Schema):
    """Equal-width bins of top-class confidence (null: an empty bin)."""

    bins = fields.List(fields.Float(), metadata={"description": "Each bin's upper edge."})
    confidence = fields.List(fields.Float(allow_none=True))
    accuracy = fields.List(fields.Float(allow_none=True))
    count = fields.List(fields.Integer())


class CrossValidation(Schema):
    """Grouped k-fold cross-validation: the folds' mean and standard deviation of each
    scalar metric (null: undefined on every fold, or one fold only for ``sd``)."""

    folds = fields.Integer()
    grouping = fields.String()
    mean = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    sd = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    fold_rows = fields.List(fields.Integer())


class Candidate(Schema):
    candidate = fields.String()
    backend = fields.String()
    params = fields.Dict()


class LeaderboardEntry(Candidate):
    """One candidate of the auto backend's model selection."""

    status = fields.String(metadata={"enum": ["scored", "skipped", "unavailable"]})
    reason = fields.String(metadata={"description": "Why it was skipped or unavailable."})
    seconds = fields.Float()
    accuracy = fields.Float(allow_none=True)
    macro_f1 = fields.Float(allow_none=True)
    mcc = fields.Float(allow_none=True)
    log_loss = fields.Float(allow_none=True)
    ece = fields.Float(allow_none=True)
    selected = fields.Boolean(metadata={"description": "Only on the winner."})
    estimated_seconds = fields.Float(
        metadata={"description": "The cost estimated before it ran (large data, the hybrid)."}
    )
    refit_estimate_seconds = fields.Float(
        metadata={"description": "Its refit on all rows, estimated from its folds."}
    )


class Selection(Schema):
    """The auto backend's choice: every candidate scored within the budget."""

    metric = fields.String()
    winner = fields.Nested(Candidate)
    budget = fields.Float()
    selection_seconds = fields.Float()
    final_fit_seconds = fields.Float()
    final_fit_estimate_seconds = fields.Float(
        metadata={"description": "The refit time kept in reserve out of the budget."}
    )
    total_seconds = fields.Float(metadata={"description": "Selection and refit together."})
    leaderboard = fields.List(fields.Nested(LeaderboardEntry))


class ModelMetrics(Schema):
    """Metrics pooled over the out-of-fold predictions (null: undefined on these rows)."""

    n = fields.Integer()
    accuracy = fields.Float(allow_none=True)
    macro_f1 = fields.Float(allow_none=True)
    mcc = fields.Float(allow_none=True)
    roc_auc = fields.Float(allow_none=True)
    ece = fields.Float(allow_none=True)
    log_loss = fields.Float(allow_none=True)
    brier = fields.Float(allow_none=True)
    per_class = fields.Dict(keys=fields.String(), values=fields.Nested(ClassMetrics))
    confusion_matrix = fields.Nested(ConfusionMatrix)
    reliability = fields.Nested(Reliability)
    cv = fields.Nested(
        CrossValidation,
        metadata={"description": "Absent for versions scored on a holdout split (0.1)."},
    )
    selection = fields.Nested(Selection, metadata={"description": "Only for the auto backend."})


class Snapshot(Schema):
    """Rows saved under the server's home (JSONL), for retraining."""

    path = fields.String()
    sha256 = fields.String()
    rows = fields.Integer()


class ComparisonSet(Schema):
    rows = fields.Integer()
    share = fields.Float(metadata={"description": "Of the training data (a trained version)."})
    inherited_from = fields.Integer(metadata={"description": "The parent (a retrained version)."})


class EvalSplit(Schema):
    """How a version was scored, and the rows it was trained and compared on. A trained
    version has ``folds``, ``seed``, ``grouping`` and a comparison ``share``; a retrained one
    ``inherited_from`` and ``feedback_holdout_rows``; one of 0.1 a ``holdout`` ``test_size``."""

    method = fields.String(metadata={"enum": ["cross-validation", "holdout", "fixed"]})
    folds = fields.Integer()
    test_size = fields.Float()
    seed = fields.Integer()
    train_rows = fields.Integer()
    test_rows = fields.Integer()
    grouping = fields.String()
    comparison_set = fields.Nested(ComparisonSet)
    inherited_from = fields.Integer()
    feedback_holdout_rows = fields.Integer()
    path = fields.String(metadata={"description": "The comparison set's snapshot."})
    sha256 = fields.String()
    train_data = fields.Nested(Snapshot)


class TrainingData(Schema):
    source = fields.String()
    sha256 = fields.String()
    rows = fields.Integer()


class Artifact(Schema):
    path = fields.String(metadata={"description": "Relative to the server's home."})
    sha256 = fields.String()
    bytes = fields.Integer()


class ModelOut(Schema):
    id = fields.Integer()
    created_at = fields.String()
    active = fields.Boolean()
    backend = fields.String()
    params = fields.Dict()
    labels = fields.List(fields.String())
    data = fields.Nested(TrainingData)
    eval_split = fields.Nested(EvalSplit)
    metrics = fields.Nested(ModelMetrics)
    library_versions = fields.Dict(keys=fields.String(), values=fields.String())
    artifact = fields.Nested(Artifact)
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


class DayCount(Schema):
    date = fields.String()
    label = fields.String()
    model_version = fields.Integer()
    count = fields.Integer()


class FeedbackDay(Schema):
    date = fields.String()
    count = fields.Integer()
    agreed = fields.Integer()


class ModelUsage(Schema):
    model_version = fields.Integer()
    predictions = fields.Integer()
    feedback = fields.Integer()
    agreement_rate = fields.Float(allow_none=True)


class Histogram(Schema):
    edges = fields.List(fields.Float())
    counts = fields.List(fields.Integer())


class StatsOut(Schema):
    days = fields.Integer()
    model_version = fields.Integer(allow_none=True)
    total_predictions = fields.Integer()
    feedback_count = fields.Integer()
    agreement_rate = fields.Float(allow_none=True)
    per_day = fields.List(fields.Nested(DayCount))
    feedback_per_day = fields.List(fields.Nested(FeedbackDay))
    per_model = fields.List(fields.Nested(ModelUsage))
    confidence_histogram = fields.Nested(Histogram)


DATA_FORMATS = ("sms", "csv", "tsv", "jsonl")


class LabelOut(Schema):
    name = fields.String()
    display = fields.String()


class LabelIn(Schema):
    name = NotBlankText(required=True, validate=validators.Length(min=1, max=200))
    display = Text(load_default="", validate=validators.Length(max=200))


class ProjectSettingsIn(Schema):
    auto_retrain_after = fields.Integer(validate=validators.Range(min=0, max=MAX_INT32))
    auto_promote_metric = fields.String(validate=validators.OneOf(PROMOTE_METRICS))
    auto_promote_margin = fields.Float(validate=validators.Range(min=0, max=1))
    retention_days = fields.Integer(validate=validators.Range(min=0, max=MAX_INT32))
    anonymous_classify = fields.Boolean()
    costs = fields.Dict(
        # Keys are label names; one the data lacks is refused when a model is trained.
        keys=fields.String(),
        values=fields.Float(validate=validators.Range(min=0, min_inclusive=False)),
        metadata={
            "description": "Label -> weight of an error on it, for every training of the "
            "project (checked against the data's labels when a model is trained)."
        },
    )
    labels_before_first_model = fields.Integer(
        validate=validators.Range(min=0, max=MAX_INT32),
        metadata={
            "description": "Train the first model once 2 labels have this many labelled "
            "items each (0: never)."
        },
    )
    retrain_after_labels = fields.Integer(
        validate=validators.Range(min=0, max=MAX_INT32),
        metadata={
            "description": "The most further labels before the next model: it is due once "
            "the labels grew by a quarter (at least 5), and after this many at the latest "
            "(0: never)."
        },
    )
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


MAX_LABEL_ITEMS = validators.Length(max=MAX_LABELS)
LABELS_DOC = {
    "description": "At most 100 distinct names; a name given again keeps its first place and "
    "takes the later display name."
}


class ProjectIn(Schema):
    slug = Text(
        required=True,
        validate=validators.Regexp(SLUG, error="1-64 lowercase letters, digits and '-'"),
        metadata={"description": "The project's name in URLs and on the command line."},
    )
    name = Text(load_default="", validate=validators.Length(max=200))
    description = Text(load_default="", validate=validators.Length(max=2000))
    labels = fields.List(
        fields.Nested(LabelIn), load_default=list, validate=MAX_LABEL_ITEMS, metadata=LABELS_DOC
    )
    settings = fields.Nested(ProjectSettingsIn, load_default=dict)


class ProjectPatch(Schema):
    name = Text(validate=validators.Length(max=200))
    description = Text(validate=validators.Length(max=2000))
    labels = fields.List(fields.Nested(LabelIn), validate=MAX_LABEL_ITEMS, metadata=LABELS_DOC)
    settings = fields.Nested(ProjectSettingsIn)


class TrainForm(Schema):
    file = fields.File(required=True, metadata={"description": "The labelled data file."})
    format = fields.String(validate=validators.OneOf(DATA_FORMATS))
    text_column = Text(load_default="text", validate=validators.Length(min=1, max=200))
    label_column = Text(load_default="label", validate=validators.Length(min=1, max=200))
    activate = fields.Boolean(load_default=False)
    description = Text(load_default="", validate=validators.Length(max=1000))


class ActiveModel(Schema):
    id = fields.Integer()
    backend = fields.String()
    labels = fields.List(fields.String())


class Limits(Schema):
    max_text_length = fields.Integer()
    max_batch = fields.Integer()
    max_explain_batch = fields.Integer()


class InfoOut(Schema):
    version = fields.String()
    active_model = fields.Nested(ActiveModel, allow_none=True)
    labels = fields.List(fields.String())
    label_names = fields.Dict(keys=fields.String(), values=fields.String())
    limits = fields.Nested(Limits)
    store_text = fields.Boolean()
    project = fields.Nested(ProjectOut)


class AgreementQuery(Schema):
    days = fields.Integer(load_default=30, validate=validators.Range(min=1, max=3650))


class PersonAgreement(Schema):
    person = fields.String(metadata={"description": "a user's name, or the name given"})
    signed_in = fields.Boolean(metadata={"description": "a user account"})
    labels = fields.Integer(metadata={"description": "texts labelled (feedback or items)"})
    compared = fields.Integer(metadata={"description": "of those, ones the model labelled too"})
    agreed = fields.Integer(metadata={"description": "of those, ones labelled as the model did"})
    agreement_rate = fields.Float(allow_none=True)


class PairAgreement(Schema):
    a = fields.String()
    b = fields.String()
    shared = fields.Integer(metadata={"description": "texts both labelled"})
    agreed = fields.Integer()
    raw_agreement = fields.Float()
    kappa = fields.Float(
        allow_none=True,
        metadata={"description": "Cohen's kappa; null when chance alone explains full agreement"},
    )


class AgreementOut(Schema):
    days = fields.Integer()
    people = fields.List(fields.Nested(PersonAgreement))
    pairs = fields.List(fields.Nested(PairAgreement))


class PermissionOut(Schema):
    allowed = fields.Boolean()
    with_admin_token = fields.Boolean(
        metadata={"description": "not allowed as the caller is, but the admin token would be"}
    )
    needs = fields.String(metadata={"description": "the least role the action needs"})
    reason = fields.String(allow_none=True, metadata={"description": "why not (null: allowed)"})


class AccessOut(Schema):
    role = fields.String(
        metadata={
            "enum": ["none", "viewer", "annotator", "maintainer", "admin"],
            "description": "the caller's role on the project",
        }
    )
    signed_in = fields.Boolean()
    open = fields.Boolean(metadata={"description": "no accounts exist yet"})
    actions = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(PermissionOut),
        metadata={"description": "action name -> may the caller do it, and if not why"},
    )


# Output fields a response may leave out; every other field of an output schema is always
# there, and the OpenAPI document says so (generated clients get exact types).
OPTIONAL_OUTPUT = {
    "PredictionOut": {"explanation", "feedback_history"},
    "PredictionDetailOut": {"explanation"},
    "FeedbackOut": {"comment", "reviewer"},
    "ModelMetrics": {"cv", "selection"},
    # Versions trained before the budget covered the refit have neither.
    "Selection": {"final_fit_estimate_seconds", "total_seconds"},
    "LeaderboardEntry": {"reason", "seconds", "accuracy", "macro_f1", "mcc", "log_loss", "ece"}
    | {"selected", "estimated_seconds", "refit_estimate_seconds"},
    "ComparisonSet": {"share", "inherited_from"},
    "EvalSplit": {
        "folds",
        "test_size",
        "seed",
        "grouping",
        "comparison_set",
        "inherited_from",
        "feedback_holdout_rows",
        "path",
        "sha256",
        "train_data",
    },
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
    _state_limits(schemas)
    _declare_errors(spec._paths, schemas)
    _deprecate_legacy_paths(spec._paths)
    return spec


def _state_limits(schemas: dict[str, Any]) -> None:
    """What the server's settings allow, in the schemas: text length, batch size, and
    exactly one of ``text`` and ``texts``."""
    max_length, max_batch = _limits()
    classify = schemas["ClassifyIn"]
    classify["properties"]["text"]["maxLength"] = max_length
    texts = classify["properties"]["texts"]
    texts.update(minItems=1, maxItems=max_batch)
    texts["items"]["maxLength"] = max_length
    classify["oneOf"] = [{"required": ["text"]}, {"required": ["texts"]}]
    schemas["TaskIn"]["properties"]["title"]["maxLength"] = max_length
    if "ItemsIn" in schemas:
        schemas["ItemsIn"]["properties"]["texts"]["items"]["maxLength"] = max_length


ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}}
# Statuses any operation of a kind can answer, besides those its view declares.
BODY_ERRORS = {
    "400": "The body is not valid JSON (or not UTF-8)",
    "413": "The body is larger than TAGLOOP_MAX_BODY_BYTES",
    "415": "The body is not sent with the media type the operation takes",
}
ADMIN_ERRORS = {
    "401": "Not signed in where the route needs it, or a bad token",
    "403": "The caller lacks the role the route needs (the message names it)",
}
API_ERRORS = {
    "429": "Over the rate limit (TAGLOOP_RATE_LIMIT); `Retry-After` says when to retry",
    "503": "The database is unavailable (`database_unavailable`, with `Retry-After`)",
}


def _checked_operations() -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every view whose action is not public: the access check
    may answer 401 or 403 before it runs."""
    checked: set[tuple[str, str]] = set()
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions.get(rule.endpoint)
        if getattr(view, "tagloop_action", None) is Action.PUBLIC:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        checked.update((path, method.lower()) for method in rule.methods or ())
    return checked


def _declare_errors(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Declare the statuses the server's own layers add to every view: a bad or oversized
    JSON body, the access check, the rate limit and an unreachable database."""
    checked = _checked_operations()
    for path, operations in paths.items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            extra: dict[str, str] = {}
            body = operation.get("requestBody", {})
            if "application/json" in body.get("content", {}):
                extra |= BODY_ERRORS
                ref = body["content"]["application/json"]["schema"].get("$ref", "")
                component = schemas.get(ref.rsplit("/", 1)[-1], {})
                if component.get("required") or component.get("oneOf"):
                    body["required"] = True  # a body without its required fields is refused
            elif "multipart/form-data" in body.get("content", {}):
                extra |= {k: v for k, v in BODY_ERRORS.items() if k != "400"}
                body["required"] = True
            if (path, method) in checked:
                extra |= ADMIN_ERRORS
            if path.startswith("/api/"):
                extra |= API_ERRORS
            for status, description in extra.items():
                responses.setdefault(status, {"description": description, "content": ERROR_REF})


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
