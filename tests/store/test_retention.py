"""Retention on SQLite and PostgreSQL: old predictions go with their feedback, recent ones
stay; the worker runs it on its own once an hour when a retention period is set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tagloop.config import Settings
from tagloop.jobs import worker
from tagloop.service.core import Core
from tagloop.store import Store, retention
from tagloop.store.models import Feedback, Prediction, utcnow


def add(store: Store, age_days: float, feedback: bool = False, project_id: int = 1) -> int:
    with store.transaction() as session:
        row = Prediction(
            project_id=project_id,
            created_at=utcnow() - timedelta(days=age_days),
            model_version=1,
            text=f"message {age_days}",
            text_sha256="0" * 64,
            label="ham",
            confidence=0.9,
            probabilities={"ham": 0.9, "spam": 0.1},
            source="api",
        )
        session.add(row)
        session.flush()
        if feedback:
            session.add(Feedback(prediction_id=row.id, label="spam", created_at=utcnow()))
        return row.id


def counts(store: Store) -> tuple[int, int]:
    with store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Prediction)) or 0,
            session.scalar(select(func.count()).select_from(Feedback)) or 0,
        )


@pytest.fixture
def store(settings: Settings):  # type: ignore[no-untyped-def]
    from tagloop.service.projects import ensure_default

    opened = Store.open(settings)
    assert ensure_default(opened, settings).id == 1
    yield opened
    opened.close()


def test_old_predictions_and_their_feedback_are_deleted(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(retention, "BATCH", 2)  # several transactions
    old = [add(store, 40, feedback=True), add(store, 31), add(store, 35), add(store, 100)]
    kept = [add(store, 29, feedback=True), add(store, 0)]
    assert counts(store) == (6, 2)
    assert retention.prune_predictions(store, 1, 30) == len(old)
    with store.session() as session:
        assert sorted(session.scalars(select(Prediction.id))) == kept
    assert counts(store) == (2, 1)
    assert retention.prune_predictions(store, 1, 30) == 0


def test_the_worker_prunes_when_a_period_is_set_and_then_hourly(settings, store) -> None:  # type: ignore[no-untyped-def]
    add(store, 10)
    off = Core.open(settings)
    assert worker.prune_if_due(off, None) is None and counts(store)[0] == 1
    settings.retention_days = 7
    ctx = Core.open(settings)
    ran = worker.prune_if_due(ctx, None)
    assert ran is not None and counts(store)[0] == 0
    add(store, 10)
    assert worker.prune_if_due(ctx, ran) == ran and counts(store)[0] == 1  # not yet due
    assert worker.prune_if_due(ctx, ran - worker.PRUNE_SECONDS) != ran and counts(store)[0] == 0
    off.store.close()
    ctx.store.close()


def test_each_project_keeps_predictions_for_its_own_retention(settings, store) -> None:  # type: ignore[no-untyped-def]
    from tagloop.service import projects
    from tagloop.service.retention import prune_expired

    short = projects.create(store, settings, "short", project_settings={"retention_days": 7})
    keep = projects.create(store, settings, "keep")
    old_short, old_keep, old_default = (
        add(store, 10, feedback=True, project_id=short.id),
        add(store, 10, project_id=keep.id),
        add(store, 10),
    )
    recent_short = add(store, 1, project_id=short.id)
    core = Core.open(settings)
    try:
        assert prune_expired(core) == {"short": (1, 7)}
    finally:
        core.close()
    with store.session() as session:
        left = set(session.scalars(select(Prediction.id)))
    assert left == {old_keep, old_default, recent_short} and old_short not in left
