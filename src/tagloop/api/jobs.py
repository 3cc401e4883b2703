"""Jobs: start a retraining, follow jobs, cancel them.

The request only records and queues the job; ``tagloop worker`` runs it. Giving feedback
can also queue one (the project's ``auto_retrain_after``): that check runs after the
feedback response has been sent.
"""

from __future__ import annotations

import logging
from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators
from flask import Response, request

from tagloop.api.auth import actor, caller, requires
from tagloop.api.context import core, project
from tagloop.api.schemas import Text
from tagloop.service import jobs as service
from tagloop.service.access import Action
from tagloop.service.job_state import describe_job

log = logging.getLogger(__name__)
bp = APIBlueprint("jobs", __name__, url_prefix="/api/v1", tag="Jobs")
FEEDBACK_VIEW = "give_feedback"


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


@bp.post("/retrain")
@bp.input(RetrainIn, arg_name="body")
@bp.output(JobOut, status_code=202)
@bp.doc(
    summary="Retrain the active model on its data plus feedback (admin)",
    security="AdminToken",
    responses=[202, 409, 503],
)
@requires(Action.RETRAIN)
def retrain(body: dict[str, Any]) -> dict[str, Any]:
    """Queue a retraining job; follow it with ``GET …/jobs/{id}``. The candidate is
    compared with the active model and activated only by the promotion policy."""
    job = service.retrain(
        core(),
        project(),
        requested_by=actor(),
        requested_by_id=caller().user_id,
        reason=body["reason"],
        params=body["params"],
    )
    return describe_job(job)


@bp.get("/jobs")
@bp.input(JobQuery, location="query", arg_name="query")
@bp.output(JobList)
@bp.doc(summary="Background jobs, newest first")
@requires(Action.READ)
def jobs(query: dict[str, Any]) -> dict[str, Any]:
    """Training and retraining jobs with status, progress, stage and log."""
    return {"items": service.jobs(core(), project(), query["limit"])}


@bp.get("/jobs/<int:job_id>")
@bp.output(JobOut)
@bp.doc(summary="One job")
@requires(Action.READ)
def job(job_id: int) -> dict[str, Any]:
    """A job's status, progress, log, and when done its result and candidate version."""
    return service.job(core(), project(), job_id)


@bp.post("/jobs/<int:job_id>/cancel")
@bp.output(JobOut)
@bp.doc(summary="Cancel a job (admin)", security="AdminToken", responses=[200, 404, 409])
@requires(Action.CANCEL_JOB)
def cancel(job_id: int) -> dict[str, Any]:
    """A queued job is cancelled at once; a running one stops at its next checkpoint."""
    return service.cancel(core(), project(), job_id, actor=actor())


@bp.after_app_request
def _auto_retrain(response: Response) -> Response:
    endpoint = request.endpoint or ""
    if not endpoint.endswith("." + FEEDBACK_VIEW) or response.status_code != 200:
        return response
    the_core, the_project = core(), project()
    if the_project.settings.auto_retrain_after <= 0:
        return response

    def check() -> None:
        try:
            job = service.maybe_auto_retrain(the_core, the_project)
        except Exception:  # never fail a feedback request over the trigger
            log.exception("automatic retraining check failed")
            return
        if job is not None:
            log.info("queued retraining job %s after new feedback", job.id)

    response.call_on_close(check)
    return response
