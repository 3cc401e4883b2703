"""Usage statistics of a project: predictions per label per day, feedback, agreement per
model version, and the confidence histogram."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, select

from tagloop.service.core import Core
from tagloop.service.projects import ProjectRef
from tagloop.store.models import Prediction, utcnow

BINS = 10


def _day(column: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d", column)
    return func.to_char(column, "YYYY-MM-DD")


def stats(
    core: Core, project: ProjectRef, days: int, model_version: int | None = None
) -> dict[str, Any]:
    """Counts per day and label, feedback volume, model/feedback agreement per version over
    the last ``days``; ``model_version`` restricts every figure to one version's predictions."""
    since = utcnow() - timedelta(days=days)
    engine = core.store.engine
    day = _day(Prediction.created_at, engine.dialect.name)
    fday = _day(Prediction.feedback_at, engine.dialect.name)
    version = model_version
    of_version = Prediction.project_id == project.id
    if version is not None:
        of_version = of_version & (Prediction.model_version == version)
    recent = (Prediction.created_at >= since) & of_version
    agreed = cast(Prediction.feedback_label == Prediction.label, Integer)
    has_feedback = Prediction.feedback_label.is_not(None)
    # Confidence of the top class is at least 1/k; bin the whole [0, 1] range.
    bucket: Any = func.min(cast(Prediction.confidence * BINS, Integer), BINS - 1)
    if engine.dialect.name != "sqlite":
        bucket = func.least(cast(func.floor(Prediction.confidence * BINS), Integer), BINS - 1)

    with engine.connect() as conn:
        per_day = conn.execute(
            select(day, Prediction.label, Prediction.model_version, func.count())
            .where(recent)
            .group_by(day, Prediction.label, Prediction.model_version)
            .order_by(day)
        ).all()
        per_model = conn.execute(
            select(
                Prediction.model_version,
                func.count(),
                func.count(Prediction.feedback_label),
                func.sum(case((has_feedback, agreed), else_=0)),
            )
            .where(recent)
            .group_by(Prediction.model_version)
            .order_by(Prediction.model_version)
        ).all()
        feedback_days = conn.execute(
            select(fday, func.count(), func.sum(agreed))
            .where(has_feedback, Prediction.feedback_at >= since, of_version)
            .group_by(fday)
            .order_by(fday)
        ).all()
        histogram: dict[Any, int] = dict(
            conn.execute(select(bucket, func.count()).where(recent).group_by(bucket)).all()
        )

    total = sum(row[1] for row in per_model)
    feedback = sum(row[2] for row in per_model)
    agreements = sum(int(row[3] or 0) for row in per_model)
    return {
        "days": days,
        "model_version": version,
        "total_predictions": total,
        "feedback_count": feedback,
        "agreement_rate": agreements / feedback if feedback else None,
        "per_day": [
            {"date": d, "label": label, "model_version": v, "count": n}
            for d, label, v, n in per_day
        ],
        "feedback_per_day": [
            {"date": d, "count": n, "agreed": int(a or 0)} for d, n, a in feedback_days
        ],
        "per_model": [
            {
                "model_version": v,
                "predictions": n,
                "feedback": f,
                "agreement_rate": int(a or 0) / f if f else None,
            }
            for v, n, f, a in per_model
        ],
        "confidence_histogram": {
            "edges": [i / BINS for i in range(BINS + 1)],
            "counts": [int(histogram.get(i, 0)) for i in range(BINS)],
        },
    }
