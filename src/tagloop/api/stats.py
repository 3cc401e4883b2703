"""``GET /api/v1/stats``: predictions per label per day, feedback and agreement per version;
``GET /api/v1/stats/agreement``: agreement per person and between people."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from tagloop.api.auth import requires
from tagloop.api.context import core, project
from tagloop.api.schemas import AgreementOut, AgreementQuery, StatsOut, StatsQuery
from tagloop.service import agreement as people
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


@bp.get("/stats/agreement")
@bp.input(AgreementQuery, location="query", arg_name="query")
@bp.output(AgreementOut)
@bp.doc(summary="Agreement per person with the model, and between two people on the same texts")
@requires(Action.READ)
def agreement(query: dict[str, Any]) -> people.AgreementOut:
    """Over the last N days: each person's labels (newest feedback per prediction, item
    labels) and how many agree with the model; for every two people who labelled the same
    text (the same prediction or item, or equal once case and spaces are folded) the
    number of such texts, raw agreement and Cohen's kappa."""
    return people.agreement(core().store, project(), query["days"])
