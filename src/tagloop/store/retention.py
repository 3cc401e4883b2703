"""Delete a project's old predictions; their feedback goes with them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from tagloop.store import Store
from tagloop.store.models import Feedback, Prediction, utcnow

BATCH = 5_000  # rows per transaction: classify's writers wait for each one, not for all


def prune_predictions(store: Store, project_id: int, days: int) -> int:
    """Delete the project's predictions created more than ``days`` ago; how many."""
    cutoff = utcnow() - timedelta(days=days)
    deleted = 0
    while True:
        with store.transaction() as session:
            ids = list(
                session.scalars(
                    select(Prediction.id)
                    .where(Prediction.project_id == project_id, Prediction.created_at < cutoff)
                    .limit(BATCH)
                )
            )
            if not ids:
                return deleted
            session.execute(delete(Feedback).where(Feedback.prediction_id.in_(ids)))
            session.execute(delete(Prediction).where(Prediction.id.in_(ids)))
        deleted += len(ids)
