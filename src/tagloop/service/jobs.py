"""Background jobs of a project: queue a retraining or a training from a data file, follow
them, cancel them, and queue a retraining by itself once enough feedback has come in.

A request only records and queues the job; ``tagloop worker`` runs it (``service.retrain``).
One queued-or-running job of each kind per project, enforced by a unique index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tagloop.ml.datasets import Dataset
from tagloop.ml.params import retraining_backend
from tagloop.ml.snapshots import Rows, write_snapshot
from tagloop.ml.train import DEFAULT_BACKEND, check_costs
from tagloop.service.core import Core
from tagloop.service.errors import Conflict, Invalid, NotFound, Unavailable
from tagloop.service.job_state import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    create_job,
    describe_job,
    fail_queued,
    get_job,
    list_jobs,
    recover_stale,
    request_cancel,
    unfinished,
)
from tagloop.service.projects import ProjectRef
from tagloop.service.queue import QueueError
from tagloop.store.models import Feedback, Job, ModelVersion, Prediction

RETRAIN = "retrain"
TRAIN = "train"
RANK = "rank"  # order the labelling queue by the labels so far (before any model)
KIND_NAMES = {RETRAIN: "retraining", TRAIN: "training", RANK: "ranking"}
UPLOADS = "uploads"  # under TAGLOOP_HOME: data files handed to training jobs


class JobInProgress(Conflict):
    code = "job_in_progress"

    def __init__(self, job: Job) -> None:
        super().__init__(
            f"{KIND_NAMES.get(job.kind, job.kind)} job {job.id} is already {job.status}",
            details={"job_id": job.id},
        )
        self.job = job


def submit(
    core: Core,
    project: ProjectRef,
    kind: str,
    params: dict[str, Any],
    requested_by: str,
    *,
    queue: bool = True,
    requested_by_id: int | None = None,
) -> Job:
    """Record a queued job and hand it to the worker (unless ``queue`` is false: the
    caller runs it); refuses while another job of the kind is unfinished in the project
    (after failing any whose worker is gone)."""
    recover_stale(core.store)
    job = None
    while job is None:
        pending = unfinished(core.store, kind, project.id)
        if pending:
            raise JobInProgress(pending[0])
        try:
            job = create_job(
                core.store,
                project.id,
                kind,
                params=params,
                requested_by=requested_by,
                requested_by_id=requested_by_id,
            )
        except IntegrityError:  # another process queued one since the check: look again
            continue
    if not queue:
        return job
    try:
        core.queue().enqueue(job.id)
    except QueueError as exc:
        fail_queued(core.store, job.id, str(exc))
        raise Unavailable(str(exc), code="queue_unavailable") from exc
    return job


def retrain(
    core: Core,
    project: ProjectRef,
    *,
    requested_by: str,
    reason: str = "",
    params: dict[str, Any] | None = None,
    queue: bool = True,
    requested_by_id: int | None = None,
) -> Job:
    """Queue a retraining of the project's active model on its data plus feedback."""
    active = core.registry(project).active()
    if active is None:
        raise Conflict(
            f"project {project.slug!r} has no active model: nothing to retrain",
            code="no_active_model",
        )
    check_params(active.backend, active.params, params or {})
    return submit(
        core,
        project,
        RETRAIN,
        {"reason": reason, "params": params or {}},
        requested_by,
        queue=queue,
        requested_by_id=requested_by_id,
    )


def check_params(backend: str, current: dict[str, Any], changes: dict[str, Any]) -> None:
    """Refuse parameters the worker would fail on, before queuing."""
    try:
        retraining_backend(backend, current, changes)
    except (ValueError, LookupError, RuntimeError) as exc:
        # Which parameters exist and their types depend on the active version's backend,
        # not on the request's schema: a conflict with the stored state.
        raise Conflict(
            str(exc), code="invalid_params", details={"json": {"params": [str(exc)]}}
        ) from exc


def train_from_data(
    core: Core,
    project: ProjectRef,
    dataset: Dataset,
    *,
    requested_by: str,
    backend: str = DEFAULT_BACKEND,
    params: dict[str, Any] | None = None,
    activate: bool = False,
    description: str = "",
    requested_by_id: int | None = None,
) -> Job:
    """Queue training a new version of the project on ``dataset`` (kept under the home as
    a content-addressed snapshot, so the job reads exactly what was checked here). The
    project's costs must name labels of the data: refused here, not in the worker."""
    try:
        check_costs(project.settings.costs, dataset.labels)
    except ValueError as exc:
        raise Invalid(f"project setting 'costs': {exc}", code="unknown_cost_label") from exc
    snapshot = write_snapshot(core.settings.home, UPLOADS, Rows(dataset.texts, dataset.labels))
    return submit(
        core,
        project,
        TRAIN,
        {
            "data": snapshot,
            "source": dataset.source,
            "backend": backend,
            "params": params or {},
            "activate": activate,
            "description": description,
        },
        requested_by,
        requested_by_id=requested_by_id,
    )


def rank(core: Core, project: ProjectRef, labels: int, *, requested_by: str) -> Job:
    """Queue ranking the project's labelling queue by its ``labels`` labels so far (before
    any model; ``service.label_training.ranking_due``): the worker does it, so a label
    never waits for it."""
    return submit(core, project, RANK, {"labels": labels}, requested_by)


def last_ranking(core: Core, project: ProjectRef) -> int:
    """How many labels the newest ranking job was queued at (0 before any)."""
    with core.store.session() as session:
        params = session.scalar(
            select(Job.params)
            .where(Job.project_id == project.id, Job.kind == RANK)
            .order_by(Job.id.desc())
            .limit(1)
        )
    return int((params or {}).get("labels", 0))


def jobs(core: Core, project: ProjectRef, limit: int = 50) -> list[dict[str, Any]]:
    recover_stale(core.store)
    return [describe_job(row) for row in list_jobs(core.store, project.id, limit)]


def job(core: Core, project: ProjectRef, job_id: int) -> dict[str, Any]:
    """A job's status, progress and log (noticing a dead worker first)."""
    recover_stale(core.store)
    return describe_job(_own(core, project, job_id))


def _own(core: Core, project: ProjectRef, job_id: int) -> Job:
    row = get_job(core.store, job_id)
    if row is None or row.project_id != project.id:
        raise NotFound(f"job {job_id} does not exist")
    return row


def cancel(core: Core, project: ProjectRef, job_id: int, *, actor: str) -> dict[str, Any]:
    """A queued job is cancelled at once; a running one stops at its next checkpoint."""
    row = _own(core, project, job_id)
    if row.status in (SUCCEEDED, FAILED, CANCELLED):
        raise Conflict(f"job {job_id} has already {row.status}", code="job_finished")
    request_cancel(core.store, job_id, actor=actor)
    return describe_job(_own(core, project, job_id))


def feedback_since_last_retrain(core: Core, project: ProjectRef) -> int:
    """Feedback given in the project since its newest retraining job (or newest model)."""
    with core.store.session() as session:
        since = session.scalar(
            select(func.max(Job.created_at)).where(
                Job.project_id == project.id, Job.kind == RETRAIN
            )
        ) or session.scalar(
            select(func.max(ModelVersion.created_at)).where(ModelVersion.project_id == project.id)
        )
        query = (
            select(func.count(Feedback.id))
            .join(Prediction, Prediction.id == Feedback.prediction_id)
            .where(Prediction.project_id == project.id)
        )
        if since is not None:
            query = query.where(Feedback.created_at > since)
        return int(session.scalar(query) or 0)


def maybe_auto_retrain(core: Core, project: ProjectRef) -> Job | None:
    """Queue a retraining once the project's ``auto_retrain_after`` feedback items came in."""
    threshold = project.settings.auto_retrain_after
    if threshold <= 0 or unfinished(core.store, RETRAIN, project.id):
        return None
    count = feedback_since_last_retrain(core, project)
    if count < threshold:
        return None
    try:
        return retrain(
            core,
            project,
            requested_by="auto",
            reason=f"{count} feedback items since the last retraining "
            f"(auto_retrain_after={threshold})",
        )
    except (JobInProgress, Conflict):
        return None
