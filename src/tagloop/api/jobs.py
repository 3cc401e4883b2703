"""Retraining jobs: start one, follow it, cancel it.

The request only records and queues the job; ``tagloop worker`` runs it. Giving feedback
can also queue one (``TAGLOOP_AUTO_RETRAIN_AFTER``): that check runs after the feedback
response has been sent.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators
from flask import Response, current_app, request

from tagloop.api.auth import admin_required
from tagloop.api.context import settings, store
from tagloop.api.errors import ApiError
from tagloop.api.schemas import Text
from tagloop.jobs.queue import JobInProgress, Queue, QueueError, maybe_auto_retrain, submit_retrain
from tagloop.jobs.state import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    describe_job,
    get_job,
    list_jobs,
    recover_stale,
    request_cancel,
)
from tagloop.ml.params import retraining_backend

log = logging.getLogger(__name__)
bp = APIBlueprint("jobs", __name__, url_prefix="/api/v1", tag="Jobs")
FEEDBACK_ENDPOINT = "predictions.give_feedback"


class RetrainIn(Schema):
    reason = Text(load_default="", validate=validators.Length(max=1000))
    params = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={"description": "Backend parameters to change for this run."},
    )


class JobOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String(
        metadata={"enum": ["queued", "running", "succeeded", "failed", "cancelled"]}
    )
    progress = fields.Float(metadata={"description": "0 to 1"})
    stage = fields.String()
    log = fields.String()
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    heartbeat_at = fields.String(allow_none=True)
    error = fields.String()
    candidate_id = fields.Integer(allow_none=True)
    result = fields.Dict(
        metadata={
            "description": "data: the data report; comparison: headline metrics of "
            "candidate (b) vs active (a); promotion: policy, promoted, reason"
        }
    )
    params = fields.Dict()
    requested_by = fields.String()
    cancel_requested = fields.Boolean()
    worker = fields.String(metadata={"description": "host:pid of the process running it"})


class JobList(Schema):
    items = fields.List(fields.Nested(JobOut))


class JobQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=500))


def queue() -> Queue:
    """This process's queue handle, opened on first use (after the server forks its workers)."""
    held = current_app.extensions.get("tagloop.queue")
    if held is None or held[0] != os.getpid():
        held = (os.getpid(), Queue(settings()))
        current_app.extensions["tagloop.queue"] = held
    return held[1]


def _job(job_id: int) -> dict[str, Any]:
    row = get_job(store(), job_id)
    if row is None:
        raise ApiError(404, f"job {job_id} does not exist")
    return describe_job(row)


@bp.post("/retrain")
@bp.input(RetrainIn, arg_name="body")
@bp.output(JobOut, status_code=202)
@bp.doc(summary="Retrain the active model on its data plus feedback (admin)", security="AdminToken")
@admin_required
def retrain(body: dict[str, Any], actor: str) -> dict[str, Any]:
    """Queue a retraining job; follow it with ``GET /api/v1/jobs/{id}``. The candidate is
    compared with the active model and activated only by the promotion policy."""
    active = current_app.extensions["tagloop.registry"].active()
    if active is None:
        raise ApiError(409, "no model is active: nothing to retrain", code="no_active_model")
    _check_params(active.backend, active.params, body["params"])
    try:
        jobs_queue = queue()
        job = submit_retrain(
            store(), jobs_queue, requested_by=actor, reason=body["reason"], params=body["params"]
        )
    except JobInProgress as exc:
        raise ApiError(
            409, str(exc), code="job_in_progress", details={"job_id": exc.job.id}
        ) from exc
    except QueueError as exc:
        raise ApiError(503, str(exc), code="queue_unavailable") from exc
    return describe_job(job)


@bp.get("/jobs")
@bp.input(JobQuery, location="query", arg_name="query")
@bp.output(JobList)
@bp.doc(summary="Background jobs, newest first")
def jobs(query: dict[str, Any]) -> dict[str, Any]:
    """Retraining jobs with status, progress, stage and log."""
    recover_stale(store())
    return {"items": [describe_job(row) for row in list_jobs(store(), query["limit"])]}


@bp.get("/jobs/<int:job_id>")
@bp.output(JobOut)
@bp.doc(summary="One job")
def job(job_id: int) -> dict[str, Any]:
    """A job's status, progress, log, and when done its result and candidate version."""
    recover_stale(store())  # a page polling one job learns when its worker died
    return _job(job_id)


@bp.post("/jobs/<int:job_id>/cancel")
@bp.output(JobOut)
@bp.doc(summary="Cancel a job (admin)", security="AdminToken")
@admin_required
def cancel(job_id: int, actor: str) -> dict[str, Any]:
    """A queued job is cancelled at once; a running one stops at its next checkpoint."""
    row = get_job(store(), job_id)
    if row is None:
        raise ApiError(404, f"job {job_id} does not exist")
    if row.status in (SUCCEEDED, FAILED, CANCELLED):
        raise ApiError(409, f"job {job_id} has already {row.status}", code="job_finished")
    request_cancel(store(), job_id, actor=actor)
    return _job(job_id)


@bp.after_app_request
def _auto_retrain(response: Response) -> Response:
    if request.endpoint != FEEDBACK_ENDPOINT or response.status_code != 200:
        return response
    config = settings()
    if config.auto_retrain_after <= 0:
        return response
    db, app = store(), current_app._get_current_object()  # type: ignore[attr-defined]

    def check() -> None:
        try:
            with app.app_context():
                jobs_queue = queue()
            job = maybe_auto_retrain(db, jobs_queue, config)
        except Exception:  # never fail a feedback request over the trigger
            log.exception("automatic retraining check failed")
            return
        if job is not None:
            log.info("queued retraining job %s after new feedback", job.id)

    response.call_on_close(check)
    return response


def _check_params(backend: str, current: dict[str, Any], changes: dict[str, Any]) -> None:
    """Refuse parameters the worker would fail on now, with the same 422 as bad JSON."""
    try:
        retraining_backend(backend, current, changes)
    except (ValueError, LookupError, RuntimeError) as exc:
        raise ApiError(
            422, str(exc), code="validation_error", details={"json": {"params": [str(exc)]}}
        ) from exc
