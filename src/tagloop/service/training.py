"""Train a project's model from labelled data and register it as a new version; the
project's first version becomes active, since something must serve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tagloop.ml.backends.base import Progress
from tagloop.ml.backends.registry import BackendUnavailable, UnknownBackend
from tagloop.ml.datasets import Dataset
from tagloop.ml.train import DEFAULT_BACKEND, DEFAULT_FOLDS, TrainResult, check_costs, train_model
from tagloop.service import projects
from tagloop.service.core import Core
from tagloop.service.errors import Invalid
from tagloop.service.projects import ProjectRef
from tagloop.store.models import ModelVersion


@dataclass(frozen=True)
class Trained:
    version: ModelVersion
    result: TrainResult
    activated: bool


def train(
    core: Core,
    project: ProjectRef,
    dataset: Dataset,
    *,
    actor: str,
    backend: str = DEFAULT_BACKEND,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    folds: int = DEFAULT_FOLDS,
    costs: Mapping[str, float] | None = None,
    activate: bool = False,
    description: str = "",
    progress: Progress | None = None,
) -> Trained:
    """Cross-validate, fit on all rows, register; activate if asked or if first.

    ``costs`` (label -> weight) default to the project's ``costs`` setting; either way they
    must name labels of ``dataset``, or training is refused with the unknown label named."""
    try:
        result = train_model(
            dataset,
            backend=backend,
            params=params,
            seed=seed,
            folds=folds,
            costs=project.settings.costs if costs is None else costs,
            progress=progress,
        )
    except (UnknownBackend, BackendUnavailable, ValueError) as exc:
        raise Invalid(str(exc)) from exc
    return register(core, project, result, actor=actor, activate=activate, description=description)


def register(
    core: Core,
    project: ProjectRef,
    result: TrainResult,
    *,
    actor: str,
    activate: bool = False,
    description: str = "",
    user_id: int | None = None,
) -> Trained:
    registry = core.registry(project)
    row = registry.register(result.model, description=description, **result.registry_metadata())
    first = registry.active_id() is None
    if first or activate:
        registry.activate(
            row.id,
            actor=actor,
            reason="the first version" if first else "trained to activate",
            user_id=user_id,
        )
    return Trained(row, result, first or activate)


def set_costs(
    core: Core, project: ProjectRef, costs: Mapping[str, float], dataset: Dataset
) -> ProjectRef:
    """Store ``costs`` as the project's own (every later training and retraining uses
    them), after checking them against ``dataset``'s labels."""
    try:
        check_costs(costs, dataset.labels)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    return projects.update(
        core.store, core.settings, project, project_settings={"costs": dict(costs)}
    )
