"""Model versions: list, read, activate, roll back, and the activation history."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from tagloop.api.auth import admin_required
from tagloop.api.context import registry
from tagloop.api.errors import ApiError
from tagloop.api.predicting import iso
from tagloop.api.schemas import ActivateOut, ActivationList, ModelList, ModelOut, ReasonIn
from tagloop.ml.registry import Conflict, NotFound, describe
from tagloop.store.models import Activation

bp = APIBlueprint("models", __name__, url_prefix="/api/v1", tag="Models")
ADMIN: dict[str, Any] = {"security": "AdminToken"}
MAX_ID = 2**31 - 1  # model_versions.id is a 32-bit INTEGER; larger ids make the driver raise


def _checked(model_id: int) -> int:
    if model_id > MAX_ID:
        raise NotFound(f"model version {model_id} does not exist")
    return model_id


def activation_dict(row: Activation) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": iso(row.created_at),
        "model_id": row.model_id,
        "previous_model_id": row.previous_model_id,
        "action": row.action,
        "actor": row.actor,
        "reason": row.reason,
    }


@bp.get("/models")
@bp.output(ModelList)
@bp.doc(summary="All model versions, newest first")
def list_models() -> dict[str, Any]:
    """Every registered version with its metrics; ``active`` marks the served one."""
    reg = registry()
    active_id = reg.active_id()
    return {"items": [describe(row, active_id=active_id) for row in reg.list()]}


@bp.get("/models/history")
@bp.output(ActivationList)
@bp.doc(summary="Activation and rollback history, newest first")
def history() -> dict[str, Any]:
    """Who activated or rolled back which version, when and why."""
    return {"items": [activation_dict(row) for row in registry().history()]}


@bp.get("/models/<int:model_id>")
@bp.output(ModelOut)
@bp.doc(summary="One model version: metrics, confusion matrix, metadata")
def get_model(model_id: int) -> dict[str, Any]:
    """A version's full record."""
    reg = registry()
    try:
        row = reg.get(_checked(model_id))
    except NotFound as exc:
        raise ApiError(404, str(exc)) from exc
    return describe(row, active_id=reg.active_id())


def _activated(activation: Activation) -> dict[str, Any]:
    reg = registry()
    row = reg.get(activation.model_id)
    return {
        "active_model": describe(row, active_id=row.id),
        "activation": activation_dict(activation),
    }


@bp.post("/models/<int:model_id>/activate")
@bp.input(ReasonIn, arg_name="body")
@bp.output(ActivateOut)
@bp.doc(summary="Make a version the active one (admin)", **ADMIN)
@admin_required
def activate(model_id: int, body: dict[str, Any], actor: str) -> dict[str, Any]:
    """Every server process serves it within seconds."""
    try:
        activation = registry().activate(_checked(model_id), actor=actor, reason=body["reason"])
    except NotFound as exc:
        raise ApiError(404, str(exc)) from exc
    return _activated(activation)


@bp.post("/models/rollback")
@bp.input(ReasonIn, arg_name="body")
@bp.output(ActivateOut)
@bp.doc(summary="Go back to the previously active version (admin)", **ADMIN)
@admin_required
def rollback(body: dict[str, Any], actor: str) -> dict[str, Any]:
    """Repeated rollbacks walk further back through the history."""
    try:
        activation = registry().rollback(actor=actor, reason=body["reason"])
    except Conflict as exc:
        raise ApiError(409, str(exc), code="nothing_to_roll_back") from exc
    return _activated(activation)
