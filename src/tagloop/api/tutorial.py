"""The original tutorial's endpoints, kept so its Vue page runs unchanged, on the default
project.

``POST /api/task`` with ``{"title": text}`` answers ``{"result": {"title", "tag"}}``;
``GET /api/tasks`` lists the calling browser's recent results, newest first.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from tagloop.api import observability
from tagloop.api.auth import requires
from tagloop.api.clients import client_for_results, client_id
from tagloop.api.context import core, project
from tagloop.api.schemas import Task, TaskIn, TaskOut
from tagloop.service.access import Action
from tagloop.service.predictions import classify, recent_for_client

bp = APIBlueprint("tutorial", __name__, url_prefix="/api", tag="Tutorial")
RECENT = 20


@bp.post("/task")
@bp.input(TaskIn, arg_name="body")
@bp.output(TaskOut)
@bp.doc(summary="Classify a text (the tutorial's endpoint)")
@requires(Action.CLASSIFY)
def add_task(body: dict[str, Any]) -> dict[str, Any]:
    """Classify ``title`` and return its tag."""
    result = classify(
        core(), project(), [body["title"]], source="task", client=client_for_results()
    )
    label = result.predictions[0]["label"]
    observability.count_predictions(project().slug, [label])
    return {"result": {"title": body["title"], "tag": label}}


@bp.get("/tasks")
@bp.output(Task(many=True))
@bp.doc(summary="This browser's recent results, newest first (the tutorial's endpoint)")
@requires(Action.READ_OWN)
def list_tasks() -> list[dict[str, Any]]:
    """The calling client's recent results."""
    cid, new = client_id()
    if new:
        return []
    return [
        {"title": text, "tag": label}
        for text, label in recent_for_client(core(), project(), cid, RECENT)
    ]
