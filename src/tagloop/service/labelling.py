"""The labelling queue of a project: what to ask next, and a person's answers.

Order: ``ml/selection.py`` — a spread over clusters before any label, then (before any
model) the order a quick scorer fitted on the labels so far gives, then the texts the active
model is least sure of, spread over clusters, with 20% random picks. The order is a ``rank``
per open item, (re)computed when an open item has none (just imported) or was ranked by
another model than the active one, and — before any model — by the worker's ``rank`` job as
the labels grow (``service.label_training.ranking_due``).

Nobody gets an item another person holds: handing out items locks the project's queue (a
write to its row: SQLite's write lock, a PostgreSQL row lock), picks open items nobody holds
and leases them (``LEASE``) in the same transaction, so two requests at once — in one
process or many, on SQLite or PostgreSQL — cannot take the same row. Handing out takes
milliseconds; labelling and skipping a held item need no lock beyond their row. An item
labelled or skipped is never served again (until undone).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict

import numpy as np
from sqlalchemy import and_, func, or_, select, update

from tagloop.ml.selection import order_by_labels, queue_order
from tagloop.service.core import Core
from tagloop.service.errors import Conflict, Invalid, NotFound, ServiceError
from tagloop.service.label_training import labelled
from tagloop.service.projects import ProjectRef
from tagloop.store.models import Item, Project, utcnow

LEASE = timedelta(minutes=10)
OPEN, LABELLED, SKIPPED = "open", "labelled", "skipped"
MAX_BATCH = 50
MAX_ID = 2**63


class ItemOut(TypedDict):
    id: int
    text: str
    metadata: dict[str, Any] | None
    status: str
    label: str | None
    labelled_by: str
    labelled_at: str | None
    suggestion: str | None
    confidence: float | None


def view(row: Item) -> ItemOut:
    return {
        "id": row.id,
        "text": row.text,
        "metadata": row.meta,
        "status": row.status,
        "label": row.label,
        "labelled_by": row.labelled_by,
        "labelled_at": None if row.labelled_at is None else _iso(row.labelled_at),
        "suggestion": row.suggestion,
        "confidence": row.confidence,
    }


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds") + "Z"


def _free(now: datetime) -> Any:
    return and_(Item.status == OPEN, or_(Item.assigned_until.is_(None), Item.assigned_until < now))


def _active_model(core: Core, project: ProjectRef) -> Any:
    """The served model of the project, or None before its first model."""
    if core.registry(project).active_id() is None:
        return None
    try:
        return core.models.served(project.id, project.slug)
    except ServiceError:
        return None


def _stale(version: int | None) -> Any:
    """Open items the queue must (re)rank: never ranked, or ranked by another model."""
    return or_(
        Item.rank.is_(None),
        Item.scored_by.is_not(None)
        if version is None
        else or_(Item.scored_by.is_(None), Item.scored_by != version),
    )


def _lock_queue(session: Any, project: ProjectRef) -> None:
    """Serialise changes to the project's queue: a write to its row takes SQLite's write lock
    and PostgreSQL's row lock, before anything is read."""
    session.execute(
        update(Project).where(Project.id == project.id).values(id=Project.id),
        execution_options={"synchronize_session": False},
    )


def needs_ranking(core: Core, project: ProjectRef) -> bool:
    served = _active_model(core, project)
    version = None if served is None else served.version
    with core.store.session() as session:
        stale = select(Item.id).where(
            Item.project_id == project.id, Item.status == OPEN, _stale(version)
        )
        return session.scalar(stale.limit(1)) is not None


def rank(core: Core, project: ProjectRef, *, seed: int = 0, again: bool = False) -> int:
    """Order the project's open items (see the module docstring); returns how many (0 when
    another process ranked them meanwhile, unless ``again``: a ranking by the labels so far,
    which are newer than the order)."""
    served = _active_model(core, project)
    version = None if served is None else served.version
    done = labelled(core, project) if served is None else ([], [])
    with core.store.transaction() as session:
        _lock_queue(session, project)
        open_items = select(Item.id).where(Item.project_id == project.id, Item.status == OPEN)
        if not again and session.scalar(open_items.where(_stale(version)).limit(1)) is None:
            return 0
        rows = session.execute(
            select(Item.id, Item.text)
            .where(Item.project_id == project.id, Item.status == OPEN)
            .order_by(Item.id)
        ).all()
        ids = [r[0] for r in rows]
        texts = [r[1] for r in rows]
        values: list[dict[str, Any]]
        if served is None:
            order = order_by_labels(texts, *done, seed=seed)
            values = [
                {
                    "id": ids[i],
                    "rank": float(pos),
                    "suggestion": None,
                    "confidence": None,
                    "scored_by": None,
                }
                for pos, i in enumerate(order)
            ]
        else:
            proba = np.asarray(served.model.predict_proba(texts))
            classes = list(served.model.classes_)
            order = queue_order(texts, proba, seed)
            top = proba.argmax(axis=1)
            values = [
                {
                    "id": ids[i],
                    "rank": float(pos),
                    "suggestion": classes[int(top[i])],
                    "confidence": float(proba[i, top[i]]),
                    "scored_by": served.version,
                }
                for pos, i in enumerate(order)
            ]
        session.execute(update(Item), values)
    return len(values)


def next_items(core: Core, project: ProjectRef, who: str, limit: int = 1) -> list[ItemOut]:
    """Items for ``who`` to label: those they already hold (lease renewed), then the next
    free ones by rank, taken so that nobody else can get them."""
    if not 1 <= limit <= MAX_BATCH:
        raise Invalid(f"limit must be between 1 and {MAX_BATCH}")
    if needs_ranking(core, project):
        rank(core, project)
    now = utcnow()
    until = now + LEASE
    mine = and_(
        Item.project_id == project.id,
        Item.status == OPEN,
        Item.assigned_to == who,
        Item.assigned_until >= now,
    )
    with core.store.transaction() as session:
        _lock_queue(session, project)
        session.execute(
            update(Item).where(mine).values(assigned_until=until),
            execution_options={"synchronize_session": False},
        )
        wanted = limit - (session.scalar(select(func.count(Item.id)).where(mine)) or 0)
        if wanted > 0:
            free = session.scalars(
                select(Item.id)
                .where(Item.project_id == project.id, _free(now))
                .order_by(Item.rank, Item.id)
                .limit(wanted)
            )
            session.execute(
                update(Item)
                .where(Item.id.in_(list(free)))
                .values(assigned_to=who, assigned_until=until),
                execution_options={"synchronize_session": False},
            )
    with core.store.session() as session:
        rows = session.scalars(
            select(Item).where(mine).order_by(Item.rank, Item.id).limit(limit)
        ).all()
    return [view(row) for row in rows]


def _answer(
    core: Core, project: ProjectRef, item_id: int, who: str, status: str, label: str | None
) -> ItemOut:
    if not 0 < item_id < MAX_ID:
        raise NotFound(f"item {item_id} does not exist", code="item_not_found")
    now = utcnow()
    with core.store.transaction() as session:
        done = session.execute(
            update(Item)
            .where(
                Item.id == item_id,
                Item.project_id == project.id,
                Item.status == OPEN,
                or_(
                    Item.assigned_to == who,
                    Item.assigned_until.is_(None),
                    Item.assigned_until < now,
                ),
            )
            .values(
                status=status,
                label=label,
                labelled_by=who,
                labelled_at=now,
                assigned_to=None,
                assigned_until=None,
            ),
            execution_options={"synchronize_session": False},
        )
        row = session.get(Item, item_id)
        if row is None or row.project_id != project.id:
            raise NotFound(f"item {item_id} does not exist", code="item_not_found")
        if done.rowcount != 1:  # type: ignore[attr-defined]
            if row.status != OPEN:
                raise Conflict(f"item {item_id} is already {row.status}", code="item_done")
            raise Conflict(
                f"item {item_id} is being labelled by someone else", code="item_assigned"
            )
        return view(row)


def label(core: Core, project: ProjectRef, item_id: int, name: str, who: str) -> ItemOut:
    """Label an open item (one ``who`` holds, or nobody does)."""
    known = [x.name for x in project.labels]
    if name not in known:  # depends on the project's labels: a conflict, not a bad request
        raise Conflict(
            f"label {name!r} is not one of the project's labels ({', '.join(known) or 'none'}):"
            " add it to the project first",
            code="unknown_label",
        )
    return _answer(core, project, item_id, who, LABELLED, name)


def skip(core: Core, project: ProjectRef, item_id: int, who: str) -> ItemOut:
    return _answer(core, project, item_id, who, SKIPPED, None)


def undo(core: Core, project: ProjectRef, who: str) -> ItemOut:
    """Reopen ``who``'s last labelled or skipped item and hand it back to them."""
    now = utcnow()
    with core.store.transaction() as session:
        row = session.scalars(
            select(Item)
            .where(
                Item.project_id == project.id,
                Item.labelled_by == who,
                Item.status.in_((LABELLED, SKIPPED)),
            )
            .order_by(Item.labelled_at.desc(), Item.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFound(
                "nothing to undo: you have not labelled or skipped anything here",
                code="nothing_to_undo",
            )
        row.status, row.label, row.labelled_by, row.labelled_at = OPEN, None, "", None
        row.assigned_to, row.assigned_until = who, now + LEASE
        return view(row)
