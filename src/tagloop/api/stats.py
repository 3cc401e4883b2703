"""``GET /api/v1/stats``: predictions per label per day, feedback and agreement per version."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from tagloop.api.auth import requires
from tagloop.api.context import core, project
from tagloop.api.schemas import StatsOut, StatsQuery
from tagloop.service.access import Action
from tagloop.service.stats import stats as compute

bp = APIBlueprint("stats", __name__, url_prefix="/api/v1", tag="Stats")


@bp.get("/stats")
@bp.input(StatsQuery, location="query", arg_name="query")
@bp.output(StatsOut)
@bp.doc(summary="Usage and agreement statistics over the last N days")
@requires(Action.READ)
def stats(query: dict[str, Any]) -> dict[str, Any]:
    """Counts per day and label, feedback volume, model/feedback agreement per version;
    ``model_version`` restricts every figure to the predictions of one version."""
    return compute(core(), project(), query["days"], query.get("model_version"))
