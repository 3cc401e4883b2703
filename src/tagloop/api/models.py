"""Model versions: list, read, activate, roll back, and the activation history."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from tagloop.api.auth import actor, caller, requires
from tagloop.api.context import core, project
from tagloop.api.schemas import ActivateOut, ActivationList, ModelList, ModelOut, ReasonIn
from tagloop.service import models
from tagloop.service.access import Action

bp = APIBlueprint("models", __name__, url_prefix="/api/v1", tag="Models")
ADMIN: dict[str, Any] = {"security": "AdminToken"}


@bp.get("/models")
@bp.output(ModelList)
@bp.doc(summary="All model versions, newest first")
@requires(Action.READ)
def list_models() -> dict[str, Any]:
    """Every registered version with its metrics; ``active`` marks the served one."""
    return {"items": models.list_versions(core(), project())}


@bp.get("/models/history")
@bp.output(ActivationList)
@bp.doc(summary="Activation and rollback history, newest first")
@requires(Action.READ)
def history() -> dict[str, Any]:
    """Who activated or rolled back which version, when and why."""
    return {"items": models.history(core(), project())}


@bp.get("/models/<int:model_id>")
@bp.output(ModelOut)
@bp.doc(summary="One model version: metrics, confusion matrix, metadata")
@requires(Action.READ)
def get_model(model_id: int) -> dict[str, Any]:
    """A version's full record."""
    return models.get_version(core(), project(), model_id)


@bp.post("/models/<int:model_id>/activate")
@bp.input(ReasonIn, arg_name="body")
@bp.output(ActivateOut)
@bp.doc(summary="Make a version the active one (admin)", responses=[200, 404, 409], **ADMIN)
@requires(Action.ACTIVATE)
def activate(model_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """The artifact is verified (sha256, loadable) first; every server process then serves
    the version within seconds."""
    return models.activate(
        core(),
        project(),
        model_id,
        actor=actor(),
        reason=body["reason"],
        user_id=caller().user_id,
    )


@bp.post("/models/rollback")
@bp.input(ReasonIn, arg_name="body")
@bp.output(ActivateOut)
@bp.doc(summary="Go back to the previously active version (admin)", responses=[200, 409], **ADMIN)
@requires(Action.ROLLBACK)
def rollback(body: dict[str, Any]) -> dict[str, Any]:
    """Repeated rollbacks walk further back through the history."""
    return models.rollback(
        core(), project(), actor=actor(), reason=body["reason"], user_id=caller().user_id
    )
