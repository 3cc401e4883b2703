"""Fixtures for the retraining loop: a small model (fast to retrain) and stored feedback."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import timedelta

import pytest

from tagloop.store.models import Feedback, Prediction, utcnow

SMALL_ROWS = 1500


@pytest.fixture(scope="session")
def small_dataset(sms_dataset):  # type: ignore[no-untyped-def]
    from tagloop.ml.datasets import Dataset

    return Dataset.from_rows(
        sms_dataset.texts[:SMALL_ROWS], sms_dataset.labels[:SMALL_ROWS], "sms-small"
    )


@pytest.fixture(scope="session")
def small_trained(small_dataset):  # type: ignore[no-untyped-def]
    from tagloop.ml.train import train_model

    return train_model(small_dataset, seed=0)


@pytest.fixture
def small_version(registry, small_trained) -> int:  # type: ignore[no-untyped-def]
    row = registry.register(small_trained.model, **small_trained.registry_metadata())
    registry.activate(row.id, actor="test", reason="fixture")
    return row.id


@pytest.fixture
def give_feedback(registry) -> Callable[..., list[int]]:  # type: ignore[no-untyped-def]
    """Store predictions with feedback, as the API would: ``[(text, model_label, label)]``."""

    def give(items: Iterable[tuple[str | None, str, str]], *, version: int = 1, sha_of=None):
        ids = []
        now = utcnow()
        with registry.store.transaction() as session:
            for i, (text, predicted, label) in enumerate(items):
                at = now + timedelta(milliseconds=i)
                digest = hashlib.sha256((text or sha_of or "").encode()).hexdigest()
                p = Prediction(
                    project_id=registry.project_id,
                    model_version=version,
                    text=text,
                    text_sha256=digest,
                    label=predicted,
                    confidence=0.7,
                    probabilities={"ham": 0.7, "spam": 0.3},
                    feedback_label=label,
                    feedback_at=at,
                    created_at=at,
                )
                session.add(p)
                session.flush()
                session.add(Feedback(prediction_id=p.id, label=label, created_at=at))
                ids.append(p.id)
        return ids

    return give


class Ctx:
    """A worker's view of one project: the core, the project, its registry and store."""

    def __init__(self, core, registry) -> None:  # type: ignore[no-untyped-def]
        self.core = core
        self.settings = core.settings
        self.store = core.store
        self.registry = registry
        self.project = core.project()


@pytest.fixture
def ctx(settings, registry):  # type: ignore[no-untyped-def]
    from tagloop.service.core import Core

    core = Core.open(settings)
    yield Ctx(core, registry)
    core.close()
