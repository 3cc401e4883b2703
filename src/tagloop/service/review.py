"""The review queue: what a person should look at next in a project."""

from __future__ import annotations

from sqlalchemy import select

from tagloop.service.core import Core
from tagloop.service.predictions import PredictionView, serialize
from tagloop.service.projects import ProjectRef
from tagloop.store.models import Prediction

OVERFETCH = 5  # unreviewed rows read per slot, so repeats of one text can be skipped


def review_queue(core: Core, project: ProjectRef, limit: int) -> list[PredictionView]:
    """Predictions whose feedback disagrees with the model (newest feedback first), then
    predictions without feedback, least confident first, one per text, skipping texts that
    already have feedback."""
    mine = Prediction.project_id == project.id
    disagreeing = (
        select(Prediction)
        .where(
            mine,
            Prediction.feedback_label.is_not(None),
            Prediction.feedback_label != Prediction.label,
        )
        .order_by(Prediction.feedback_at.desc(), Prediction.id.desc())
        .limit(limit)
    )
    reviewed = select(Prediction.text_sha256).where(mine, Prediction.feedback_label.is_not(None))
    uncertain = (
        select(Prediction)
        .where(mine, Prediction.feedback_label.is_(None), Prediction.text_sha256.not_in(reviewed))
        .order_by(Prediction.confidence, Prediction.id.desc())
    )
    with core.store.session() as session:
        items = [serialize(p) for p in session.scalars(disagreeing)]
        seen: set[str] = set()
        if len(items) < limit:
            wanted = limit - len(items)
            for p in session.scalars(uncertain.limit(wanted * OVERFETCH)):
                if p.text_sha256 in seen:
                    continue
                seen.add(p.text_sha256)
                items.append(serialize(p))
                if len(seen) == wanted:
                    break
    return items
