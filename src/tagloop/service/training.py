"""Train a project's model from labelled data and register it as a new version; the
project's first version becomes active, since something must serve."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tagloop.ml.backends.base import Progress
from tagloop.ml.backends.registry import BackendUnavailable, UnknownBackend
from tagloop.ml.datasets import Dataset
from tagloop.ml.train import TrainResult, train_model
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
    backend: str = "sklearn",
    params: dict[str, Any] | None = None,
    seed: int = 0,
    test_size: float = 0.2,
    activate: bool = False,
    description: str = "",
    progress: Progress | None = None,
) -> Trained:
    """Train, evaluate on a held-out split, register; activate if asked or if first."""
    try:
        result = train_model(
            dataset,
            backend=backend,
            params=params,
            seed=seed,
            test_size=test_size,
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
