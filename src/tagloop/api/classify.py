"""``POST /api/v1/classify``: one text or a batch, stored, with optional explanations."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import jsonify

from tagloop.api.clients import existing_client
from tagloop.api.predicting import classify as run
from tagloop.api.schemas import ClassifyIn, ExplainQuery

bp = APIBlueprint("classify", __name__, url_prefix="/api/v1", tag="Classify")

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
    "(up to TAGLOOP_MAX_BATCH). Every prediction is stored and gets an id for feedback. "
    "`?explain=true` adds the tokens that drove each decision with character offsets.",
    responses=RESPONSES,
)
def classify(body: dict[str, Any], query: dict[str, Any]) -> Any:
    """Classify one text or a batch."""
    explain = query["explain"]
    client = existing_client()
    if "text" in body:
        _, results = run([body["text"]], source="api", client=client, explain=explain)
        return jsonify(results[0])
    served, results = run(body["texts"], source="batch", client=client, explain=explain)
    return jsonify({"model_version": served.version, "predictions": results})
