"""Classify texts and store each prediction; list, read and export stored predictions; and
record feedback on them. Every function works inside one project.

Classify is the hot path: no ORM objects, the backend's fast single-text route, and a writer
that stores rows through the driver (``store/writer.py``) and returns once they are
committed: an id in a response is a row in the database.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import orjson
from sqlalchemy import Select, false, func, select, update

from tagloop.csvsafe import csv_rows
from tagloop.service.core import Core
from tagloop.service.errors import Conflict, NotFound, Unavailable
from tagloop.service.projects import ProjectRef, add_labels
from tagloop.service.serving import Served
from tagloop.store.models import Feedback, Prediction, utcnow
from tagloop.store.writer import WriteError

log = logging.getLogger(__name__)

EXPORT_LIMIT = 100_000
MAX_ID = 2**63 - 1
EXPORT_COLUMNS = (
    "id",
    "created_at",
    "text",
    "label",
    "confidence",
    "model_version",
    "feedback_label",
    "probabilities",
)


class FeedbackView(TypedDict, total=False):
    label: str
    created_at: str | None
    agrees: bool
    comment: str
    reviewer: str


class PredictionView(TypedDict, total=False):
    id: int
    text: str | None
    text_sha256: str
    label: str
    confidence: float
    probabilities: dict[str, float]
    model_version: int
    created_at: str
    source: str
    feedback: FeedbackView | None
    explanation: list[dict[str, Any]]
    feedback_history: list[dict[str, Any]]


@dataclass(frozen=True)
class Classified:
    version: int
    predictions: list[PredictionView]


def iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds") + "Z"


def classify(
    core: Core,
    project: ProjectRef,
    texts: list[str],
    *,
    source: str,
    client: str | None = None,
    explain: bool = False,
    store: bool = True,
    served: Served | None = None,
) -> Classified:
    """Classify ``texts`` with the project's served model (or ``served``) and, unless
    ``store`` is false, store each prediction for ``client`` (None: anonymous)."""
    served = served or core.models.served(project.id, project.slug)  # one version for all
    model = served.model
    if len(texts) == 1:
        probabilities = [model.predict_proba_one(texts[0]).tolist()]
        p = probabilities[0]
        best = [max(range(len(p)), key=p.__getitem__)]  # the first of equals, as argmax
    else:
        matrix = model.predict_proba(texts)
        probabilities, best = matrix.tolist(), matrix.argmax(axis=1).tolist()
    labels = served.labels
    now = utcnow()
    created = iso(now)
    keep_text = core.settings.store_text
    rows = []
    for text, p, k in zip(texts, probabilities, best, strict=True):
        rows.append(
            {
                "project_id": project.id,
                "created_at": now,
                "client_id": client,
                "model_version": served.version,
                "text": text if keep_text else None,
                "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "label": labels[k],
                "confidence": p[k],
                "probabilities": dict(zip(labels, p, strict=True)),
                "source": source,
            }
        )
    ids: list[int | None] = [None] * len(rows)
    if store:
        try:
            ids = list(core.writer.insert(rows))
        except WriteError as exc:
            log.error("could not store %s predictions: %s", len(rows), exc)
            raise Unavailable(
                "the database did not take the predictions; nothing was stored: try again",
                code="database_unavailable",
            ) from exc
    results = []
    for row, pid, text in zip(rows, ids, texts, strict=True):
        out = _public(row, pid, created)
        if explain:
            out["explanation"] = [c.as_dict() for c in model.explain(text, row["label"])]
        results.append(out)
    return Classified(served.version, results)


def _public(row: dict[str, Any], pid: int | None, created: str) -> PredictionView:
    return {
        "id": pid,  # type: ignore[typeddict-item]  # None only when not stored (CLI)
        "text": row["text"],
        "text_sha256": row["text_sha256"],
        "label": row["label"],
        "confidence": row["confidence"],
        "probabilities": row["probabilities"],
        "model_version": row["model_version"],
        "created_at": created,
        "source": row["source"],
        "feedback": None,
    }


def serialize(p: Prediction) -> PredictionView:
    feedback: FeedbackView | None = None
    if p.feedback_label is not None:
        feedback = {
            "label": p.feedback_label,
            "created_at": iso(p.feedback_at) if p.feedback_at else None,
            "agrees": p.feedback_label == p.label,
        }
    return {
        "id": p.id,
        "text": p.text,
        "text_sha256": p.text_sha256,
        "label": p.label,
        "confidence": p.confidence,
        "probabilities": p.probabilities,
        "model_version": p.model_version,
        "created_at": iso(p.created_at),
        "source": p.source,
        "feedback": feedback,
    }


def filtered(project: ProjectRef, filters: dict[str, Any], client: str | None) -> Select[Any]:
    """Predictions of ``project`` matching the list filters; ``mine`` needs ``client``."""
    stmt = select(Prediction).where(Prediction.project_id == project.id)
    if filters.get("mine"):
        stmt = stmt.where(false() if client is None else Prediction.client_id == client)
    if "label" in filters:
        stmt = stmt.where(Prediction.label == filters["label"])
    if "model_version" in filters:
        stmt = stmt.where(Prediction.model_version == filters["model_version"])
    state = filters.get("feedback")
    if state == "none":
        stmt = stmt.where(Prediction.feedback_label.is_(None))
    elif state == "given":
        stmt = stmt.where(Prediction.feedback_label.is_not(None))
    elif state == "agree":
        stmt = stmt.where(Prediction.feedback_label == Prediction.label)
    elif state == "disagree":
        stmt = stmt.where(Prediction.feedback_label != Prediction.label)
    if filters.get("q"):
        escaped = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Prediction.text.ilike(f"%{escaped}%", escape="\\"))
    if "since" in filters:
        stmt = stmt.where(Prediction.created_at >= filters["since"])
    if "until" in filters:
        stmt = stmt.where(Prediction.created_at < filters["until"])
    if "min_confidence" in filters:
        stmt = stmt.where(Prediction.confidence >= filters["min_confidence"])
    if "max_confidence" in filters:
        stmt = stmt.where(Prediction.confidence <= filters["max_confidence"])
    return stmt


def list_page(
    core: Core,
    project: ProjectRef,
    filters: dict[str, Any],
    *,
    page: int,
    per_page: int,
    client: str | None = None,
) -> dict[str, Any]:
    """One page of predictions, newest first; a page past the end is a NotFound."""
    stmt = filtered(project, filters, client)
    with core.store.session() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(
            stmt.order_by(Prediction.id.desc()).offset((page - 1) * per_page).limit(per_page)
        )
        items = [serialize(p) for p in rows]
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise NotFound(f"page {page} does not exist (there are {pages})", code="page_not_found")
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": pages}


class Export:
    """CSV text of a query's predictions, chunk by chunk; ``close`` releases its session
    whether or not the chunks were read."""

    def __init__(self, session: Any, result: Any) -> None:
        self._session = session
        self._result = result

    def __iter__(self) -> Iterator[str]:
        try:
            yield from csv_rows(EXPORT_COLUMNS, (_record(p) for p in self._result))
        finally:
            self.close()

    def close(self) -> None:
        self._session.close()


def _record(p: Prediction) -> list[Any]:
    return [
        p.id,
        iso(p.created_at),
        p.text or "",
        p.label,
        f"{p.confidence:.6f}",
        p.model_version,
        p.feedback_label or "",
        orjson.dumps(p.probabilities).decode(),
    ]


def export_csv(
    core: Core, project: ProjectRef, filters: dict[str, Any], client: str | None = None
) -> Export:
    """The filtered predictions as CSV (up to EXPORT_LIMIT rows), safe to open in a
    spreadsheet. The query runs here, so a failure raises before any of the file is sent."""
    stmt = filtered(project, filters, client).order_by(Prediction.id.desc()).limit(EXPORT_LIMIT)
    session = core.store.session()
    try:
        result = session.scalars(stmt.execution_options(yield_per=1000))
    except Exception:
        session.close()
        raise
    return Export(session, result)


@dataclass(frozen=True)
class Owner:
    """Whose predictions a caller may read: everyone's (a signed-in viewer or better), or
    only those made by one anonymous client (its cookie id; None: none at all)."""

    only_client: str | None = None
    restricted: bool = False

    def owns(self, row: Prediction) -> bool:
        return not self.restricted or (
            self.only_client is not None and row.client_id == self.only_client
        )


def _get(
    session: Any, project: ProjectRef, prediction_id: int, owner: Owner = Owner()
) -> Prediction:
    # An id past BIGINT would make the database driver raise instead of finding nothing.
    row = session.get(Prediction, prediction_id) if 0 < prediction_id <= MAX_ID else None
    if row is None or row.project_id != project.id or not owner.owns(row):
        # Someone else's prediction is "not found" too, so its id reveals nothing.
        raise NotFound(f"prediction {prediction_id} does not exist")
    return row


def _detail(session: Any, row: Prediction) -> PredictionView:
    out = serialize(row)
    history = session.scalars(
        select(Feedback).where(Feedback.prediction_id == row.id).order_by(Feedback.id)
    ).all()
    out["feedback_history"] = [
        {
            "label": f.label,
            "comment": f.comment,
            "reviewer": f.reviewer,
            "created_at": iso(f.created_at),
        }
        for f in history
    ]
    feedback = out["feedback"]
    if feedback is not None and history:
        feedback["comment"] = history[-1].comment
        feedback["reviewer"] = history[-1].reviewer
    return out


def get(
    core: Core, project: ProjectRef, prediction_id: int, owner: Owner = Owner()
) -> PredictionView:
    """A stored prediction and every feedback change."""
    with core.store.session() as session:
        return _detail(session, _get(session, project, prediction_id, owner))


def give_feedback(
    core: Core,
    project: ProjectRef,
    prediction_id: int,
    *,
    label: str,
    comment: str = "",
    reviewer: str = "",
    user_id: int | None = None,
    owner: Owner = Owner(),
) -> PredictionView:
    """Record the correct label; every change is kept and the newest one counts. The label
    must be one the prediction's model knows, or one of the project's labels."""
    with core.store.transaction() as session:
        row = _get(session, project, prediction_id, owner)
        labels = set(row.probabilities) | {x.name for x in project.labels}
        if label not in labels:
            # The labels are the stored prediction's and the project's, not the schema's:
            # a well-formed label that is not among them conflicts with the stored state.
            raise Conflict(
                f"label {label!r} is not one of {', '.join(sorted(labels))}",
                code="unknown_label",
                details={"label": label, "labels": sorted(labels)},
            )
        now = utcnow()
        session.add(
            Feedback(
                prediction_id=row.id,
                label=label,
                comment=comment,
                reviewer=reviewer[:200],
                user_id=user_id,
                created_at=now,
            )
        )
        session.execute(
            update(Prediction)
            .where(Prediction.id == row.id)
            .values(feedback_label=label, feedback_at=now)
        )
        session.flush()
        session.refresh(row)
        out = _detail(session, row)
    add_labels(core.store, project, [label])
    return out


def recent_for_client(
    core: Core, project: ProjectRef, client: str, limit: int
) -> list[tuple[str | None, str]]:
    """(text, label) of a client's newest predictions in the project."""
    query = (
        select(Prediction.text, Prediction.label)
        .where(Prediction.project_id == project.id, Prediction.client_id == client)
        .order_by(Prediction.id.desc())
        .limit(limit)
    )
    with core.store.engine.connect() as conn:
        return [(text, label) for text, label in conn.execute(query)]
