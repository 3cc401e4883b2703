"""The original tutorial's endpoints, kept so its Vue page runs unchanged.

``POST /api/task`` with ``{"title": text}`` answers ``{"result": {"title", "tag"}}``;
``GET /api/tasks`` lists the calling browser's recent results, newest first.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from sqlalchemy import select

from tagloop.api.clients import client_for_results, client_id
from tagloop.api.context import store
from tagloop.api.predicting import classify, writer
from tagloop.api.schemas import Task, TaskIn, TaskOut
from tagloop.store.models import Prediction

bp = APIBlueprint("tutorial", __name__, url_prefix="/api", tag="Tutorial")
RECENT = 20


@bp.post("/task")
@bp.input(TaskIn, arg_name="body")
@bp.output(TaskOut)
@bp.doc(summary="Classify a text (the tutorial's endpoint)")
def add_task(body: dict[str, Any]) -> dict[str, Any]:
    """Classify ``title`` and return its tag."""
    _, results = classify([body["title"]], source="task", client=client_for_results())
    # The tutorial's page lists results right after adding one, maybe from another process:
    # write now rather than within TAGLOOP_FLUSH_MS.
    writer().flush()
    return {"result": {"title": body["title"], "tag": results[0]["label"]}}


@bp.get("/tasks")
@bp.output(Task(many=True))
@bp.doc(summary="This browser's recent results, newest first (the tutorial's endpoint)")
def list_tasks() -> list[dict[str, Any]]:
    """The calling client's recent results."""
    cid, new = client_id()
    if new:
        return []
    query = (
        select(Prediction.text, Prediction.label)
        .where(Prediction.client_id == cid)
        .order_by(Prediction.id.desc())
        .limit(RECENT)
    )
    with store().engine.connect() as conn:
        return [{"title": text, "tag": label} for text, label in conn.execute(query)]
