"""A project's model versions: list, read, activate, roll back, delete, the activation
history, and the comparison of two versions on rows neither was trained on."""

from __future__ import annotations

from typing import Any

from tagloop.ml.compare import compare, feedback_holdout, side_from_registry
from tagloop.ml.registry import Conflict as RegistryConflict
from tagloop.ml.registry import IntegrityError, describe
from tagloop.ml.registry import NotFound as RegistryNotFound
from tagloop.ml.retrain import RetrainError, load_feedback
from tagloop.ml.snapshots import SnapshotError
from tagloop.service import users
from tagloop.service.core import Core
from tagloop.service.errors import Conflict, NotFound
from tagloop.service.predictions import iso
from tagloop.service.projects import ProjectRef
from tagloop.service.serving import Served
from tagloop.store.models import Activation


def activation_view(row: Activation, names: dict[int, str] | None = None) -> dict[str, Any]:
    """``user``: the account that did it (for a promotion, that asked for the retraining),
    by its current name; None for the admin token, the CLI or the worker."""
    user = (names or {}).get(row.user_id) if row.user_id is not None else None
    return {
        "id": row.id,
        "created_at": iso(row.created_at),
        "model_id": row.model_id,
        "previous_model_id": row.previous_model_id,
        "action": row.action,
        "actor": row.actor,
        "user": user,
        "reason": row.reason,
    }


def list_versions(core: Core, project: ProjectRef) -> list[dict[str, Any]]:
    registry = core.registry(project)
    active_id = registry.active_id()
    return [describe(row, active_id=active_id) for row in registry.list()]


def get_version(core: Core, project: ProjectRef, version_id: int) -> dict[str, Any]:
    registry = core.registry(project)
    try:
        row = registry.get(version_id)
    except RegistryNotFound as exc:
        raise NotFound(str(exc)) from exc
    return describe(row, active_id=registry.active_id())


def history(core: Core, project: ProjectRef, limit: int = 100) -> list[dict[str, Any]]:
    rows = core.registry(project).history(limit)
    names = users.names(core.store, {r.user_id for r in rows if r.user_id is not None})
    return [activation_view(row, names) for row in rows]


def activate(
    core: Core,
    project: ProjectRef,
    version_id: int,
    *,
    actor: str,
    reason: str = "",
    action: str = "activate",
    user_id: int | None = None,
) -> dict[str, Any]:
    """Make a version the served one. Its artifact is checked first (sha256 and a full
    load), so a damaged file is refused here instead of leaving every process serving the
    old version while the history says otherwise."""
    registry = core.registry(project)
    try:
        row = registry.get(version_id)
        registry.load(row)
        activation = registry.activate(
            row.id, actor=actor, reason=reason, action=action, user_id=user_id
        )
    except RegistryNotFound as exc:
        raise NotFound(str(exc)) from exc
    except IntegrityError as exc:
        raise Conflict(str(exc), code="artifact_invalid") from exc
    return _activated(core, project, activation)


def rollback(
    core: Core, project: ProjectRef, *, actor: str, reason: str = "", user_id: int | None = None
) -> dict[str, Any]:
    """Go back to the version active before the current one (repeatable)."""
    try:
        activation = core.registry(project).rollback(actor=actor, reason=reason, user_id=user_id)
    except RegistryConflict as exc:
        raise Conflict(str(exc), code="nothing_to_roll_back") from exc
    return _activated(core, project, activation)


def _activated(core: Core, project: ProjectRef, activation: Activation) -> dict[str, Any]:
    row = core.registry(project).get(activation.model_id)
    return {
        "active_model": describe(row, active_id=row.id),
        "activation": activation_view(
            activation,
            users.names(core.store, {activation.user_id} if activation.user_id else set()),
        ),
    }


def delete_version(core: Core, project: ProjectRef, version_id: int) -> None:
    """Delete a version and its artifact (not the active one; the artifact only if no
    other version shares it)."""
    try:
        core.registry(project).delete(version_id)
    except RegistryNotFound as exc:
        raise NotFound(str(exc)) from exc
    except RegistryConflict as exc:
        raise Conflict(str(exc), code="model_active") from exc
    except IntegrityError as exc:
        raise Conflict(str(exc), code="artifact_invalid") from exc


def compare_versions(
    core: Core, project: ProjectRef, a: int, b: int, *, fresh: bool = False
) -> dict[str, Any]:
    """The comparison of version ``b`` with version ``a``: the one stored with ``b`` (a
    retraining stores its candidate's comparison with the version it was retrained from),
    or with ``fresh`` both versions scored now on the fixed evaluation set(s) from the
    registry plus the held-out slice of feedback, minus any text either trained on.

    Without ``fresh`` nothing is scored: a pair with no stored comparison is a 404
    ``comparison_not_stored``, so that reading never makes a process fit or score models
    (``fresh`` is for those who may retrain: the API checks)."""
    registry = core.registry(project)
    try:
        row_a, row_b = registry.get(a), registry.get(b)
    except RegistryNotFound as exc:
        raise NotFound(str(exc)) from exc
    stored = row_b.comparison or {}
    if not fresh:
        if stored.get("a_id") != row_a.id or stored.get("b_id") != row_b.id:
            with_what = (
                f"one with version {stored['a_id']}" if stored.get("a_id") is not None else "none"
            )
            raise NotFound(
                f"no comparison of version {b} with version {a} is stored (version {b} stores "
                f"{with_what}); a maintainer can compute one with fresh=true",
                code="comparison_not_stored",
            )
        result, is_stored = stored, True
    else:
        try:
            side_a = side_from_registry(registry, row_a)
            side_b = side_from_registry(registry, row_b)
            holdout = feedback_holdout(load_feedback(core.store, project.id))
            result = compare(side_a, side_b, holdout)
        except (RetrainError, SnapshotError, IntegrityError, ValueError) as exc:
            raise Conflict(str(exc), code="cannot_compare") from exc
        is_stored = False
    active_id = registry.active_id()
    return {
        **result,
        "a": describe(row_a, active_id=active_id),
        "b": describe(row_b, active_id=active_id),
        "stored": is_stored,
    }


def served_version(core: Core, project: ProjectRef, version_id: int | None) -> Served:
    """A version to classify with: ``version_id``, or the project's active one."""
    if version_id is None:
        return core.models.served(project.id, project.slug)
    registry = core.registry(project)
    try:
        row = registry.get(version_id)
        model = registry.load(row)
    except RegistryNotFound as exc:
        raise NotFound(str(exc)) from exc
    except IntegrityError as exc:
        raise Conflict(str(exc), code="artifact_invalid") from exc
    return Served(row.id, model, tuple(model.classes_), row.backend)
