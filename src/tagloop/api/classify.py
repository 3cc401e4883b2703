"""``POST /api/v1/classify``: one text or a batch, stored, with optional explanations."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import jsonify

from tagloop.api import observability
from tagloop.api.auth import requires
from tagloop.api.clients import existing_client
from tagloop.api.context import core, project, settings
from tagloop.api.errors import ApiError
from tagloop.api.schemas import ClassifyIn, ExplainQuery
from tagloop.service.access import Action
from tagloop.service.predictions import classify as run

bp = APIBlueprint("classify", __name__, url_prefix="/api/v1", tag="Classify")

# Where a prediction came from, as stored: one text, or a batch.
SINGLE_SOURCE, BATCH_SOURCE = "api", "batch"

# One text answers a PredictionOut, a batch a BatchOut.
RESPONSES: dict[int | str, Any] = {
    200: {
        "description": "A prediction (single) or a batch",
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/PredictionOut"},
                        {"$ref": "#/components/schemas/BatchOut"},
                    ]
                }
            }
        },
    }
}


@bp.post("/classify")
@bp.input(ClassifyIn, arg_name="body")
@bp.input(ExplainQuery, location="query", arg_name="query")
@bp.doc(
    summary="Classify text",
    description='Send `{"text": …}` for one prediction or `{"texts": […]}` for a batch '
    "(up to TAGLOOP_MAX_BATCH). Every prediction is stored before the answer leaves and "
    "gets an id for feedback. `?explain=true` adds the tokens that drove each decision "
    "with character offsets; explaining costs far more than classifying, so a batch with "
    "it holds at most TAGLOOP_MAX_EXPLAIN_BATCH texts (`limits.max_explain_batch` in "
    "`/info`; more answer 413 `explain_batch_too_large`).",
    responses=RESPONSES,
)
@requires(Action.CLASSIFY)
def classify(body: dict[str, Any], query: dict[str, Any]) -> Any:
    """Classify one text or a batch."""
    single = "text" in body
    texts = [body["text"]] if single else body["texts"]
    cap = settings().max_explain_batch
    if query["explain"] and len(texts) > cap:
        raise ApiError(
            413,
            f"too many texts to explain: {len(texts):,} (with explain=true the limit is "
            f"{cap:,}; without it, {settings().max_batch:,})",
            code="explain_batch_too_large",
        )
    result = run(
        core(),
        project(),
        texts,
        source=SINGLE_SOURCE if single else BATCH_SOURCE,
        client=existing_client(),
        explain=query["explain"],
    )
    observability.count_predictions(project().slug, [p["label"] for p in result.predictions])
    if single:
        return jsonify(result.predictions[0])
    return jsonify({"model_version": result.version, "predictions": result.predictions})
