"""Hand job ids to the worker through Huey; the ``jobs`` table stays the source of truth.

By default the queue is a SQLite file in ``TAGLOOP_HOME`` (``queue.db``): no server to run on
one machine. ``TAGLOOP_QUEUE_URL=redis://…`` uses Redis instead (``pip install
'tagloop[redis]'``), for workers on other machines. A message only carries a job id; the
worker claims the job in the database before running it, so a message delivered twice, or a
message for a job cancelled meanwhile, does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tagloop.config import Settings
from tagloop.jobs.state import create_job, fail_queued, recover_stale, unfinished
from tagloop.store import Store
from tagloop.store.models import Feedback, Job, ModelVersion

log = logging.getLogger(__name__)
RETRAIN = "retrain"


class QueueError(RuntimeError):
    """The queue cannot be reached or is misconfigured."""


class JobInProgress(RuntimeError):
    def __init__(self, job: Job) -> None:
        self.job = job
        super().__init__(f"retraining job {job.id} is already {job.status}")


def make_huey(settings: Settings) -> Huey:
    url = settings.queue_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis  # noqa: F401
        except ImportError as exc:
            raise QueueError(
                "TAGLOOP_QUEUE_URL names a Redis server but the redis package is missing: "
                "pip install 'tagloop[redis]'"
            ) from exc
        return RedisHuey("tagloop", url=url, results=False)
    if url:
        raise QueueError(f"TAGLOOP_QUEUE_URL: unsupported address {url!r} (use redis://…)")
    settings.ensure_home()
    return SqliteHuey("tagloop", filename=str(settings.home / "queue.db"), results=False)


class Queue:
    """The retraining queue. Only a worker passes ``runner``; other processes enqueue."""

    def __init__(self, settings: Settings, runner: Callable[[int], None] | None = None) -> None:
        self.huey = make_huey(settings)
        self._runner = runner
        self._task = self.huey.task(name=RETRAIN)(self._run)

    def _run(self, job_id: int) -> None:
        if self._runner is None:  # pragma: no cover - only a worker consumes
            raise RuntimeError("this process only enqueues jobs")
        self._runner(job_id)

    def enqueue(self, job_id: int) -> None:
        try:
            self._task(job_id)
        except Exception as exc:
            raise QueueError(f"could not queue job {job_id}: {exc}") from exc

    def pending(self) -> int:
        return int(self.huey.pending_count())


def submit_retrain(
    store: Store,
    queue: Queue,
    *,
    requested_by: str = "",
    reason: str = "",
    params: dict[str, Any] | None = None,
) -> Job:
    """Record a queued retraining job and hand it to the worker.

    Refuses (``JobInProgress``) while another retraining is queued or running, after first
    failing any job whose worker is gone, so a killed worker does not block the next run.
    The database's unique index settles a race between two processes submitting at once.
    """
    recover_stale(store)
    job = None
    while job is None:
        pending = unfinished(store, RETRAIN)
        if pending:
            raise JobInProgress(pending[0])
        try:
            job = create_job(
                store,
                RETRAIN,
                params={"reason": reason, "params": params or {}},
                requested_by=requested_by,
            )
        except IntegrityError:  # another process queued one since the check: look again
            continue
    try:
        queue.enqueue(job.id)
    except QueueError as exc:
        fail_queued(store, job.id, str(exc))
        raise
    return job


def feedback_since_last_retrain(store: Store) -> int:
    """Feedback given since the newest retraining job (or the newest model, if none)."""
    with store.session() as session:
        since = session.scalar(
            select(func.max(Job.created_at)).where(Job.kind == RETRAIN)
        ) or session.scalar(select(func.max(ModelVersion.created_at)))
        query = select(func.count(Feedback.id))
        if since is not None:
            query = query.where(Feedback.created_at > since)
        return int(session.scalar(query) or 0)


def maybe_auto_retrain(store: Store, queue: Queue, settings: Settings) -> Job | None:
    """Queue a retraining once ``TAGLOOP_AUTO_RETRAIN_AFTER`` feedback items have come in."""
    threshold = settings.auto_retrain_after
    if threshold <= 0 or unfinished(store, RETRAIN):
        return None
    count = feedback_since_last_retrain(store)
    if count < threshold:
        return None
    try:
        return submit_retrain(
            store,
            queue,
            requested_by="auto",
            reason=f"{count} feedback items since the last retraining "
            f"(TAGLOOP_AUTO_RETRAIN_AFTER={threshold})",
        )
    except JobInProgress:
        return None
