"""Delete old predictions (``TAGLOOP_RETENTION_DAYS``); their feedback goes with them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from tagloop.store import Store
from tagloop.store.models import Feedback, Prediction, utcnow


def prune_predictions(store: Store, days: int) -> int:
    cutoff = utcnow() - timedelta(days=days)
    old = select(Prediction.id).where(Prediction.created_at < cutoff)
    with store.transaction() as session:
        session.execute(delete(Feedback).where(Feedback.prediction_id.in_(old)))
        result = session.execute(delete(Prediction).where(Prediction.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
