"""The ``tagloop worker`` process: a Huey consumer that runs jobs (training, retraining) one
at a time, for every project.

On start it fails the jobs a dead worker left running and re-queues the jobs still queued in
the database (a message taken by a worker that was then killed would otherwise be lost;
duplicates are harmless because a job is claimed before it runs). While it runs, a sweeper
thread repeats the stale-job check every ``SWEEP_SECONDS``, re-queues a job whose message
was lost, and deletes predictions past each project's retention (``retention_days``, by
default ``TAGLOOP_RETENTION_DAYS``) every ``PRUNE_SECONDS``. On shutdown, jobs it was
still running are marked failed.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from tagloop.config import Settings
from tagloop.service.core import Core
from tagloop.service.job_state import QUEUED, fail_own_jobs, recover_stale, unfinished
from tagloop.service.queue import Queue
from tagloop.service.retention import prune_expired
from tagloop.service.retrain import run_job
from tagloop.store.models import utcnow

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0
LOST_SECONDS = 30.0
PRUNE_SECONDS = 3600.0


def _sweep(ctx: Core, queue: Queue, stop: threading.Event) -> None:
    last_prune = prune_if_due(ctx, None)
    while not stop.wait(SWEEP_SECONDS):
        try:
            recover_stale(ctx.store)
            _requeue_lost(ctx, queue)
        except Exception:
            log.exception("stale-job check failed")
        last_prune = prune_if_due(ctx, last_prune)


def prune_if_due(ctx: Core, last: float | None) -> float | None:
    """Delete predictions past each project's retention if the last run was over an hour
    ago (or never); returns when it last ran."""
    if last is not None and time.monotonic() - last < PRUNE_SECONDS:
        return last
    try:
        deleted = prune_expired(ctx)
    except Exception:
        log.exception("deleting expired predictions failed")
        return last
    if deleted is None:  # no project keeps predictions for a limited time
        return last
    for slug, (count, days) in deleted.items():
        if count:
            log.info("project %s: deleted %s predictions older than %s days", slug, count, days)
    return time.monotonic()


def _requeue_lost(ctx: Core, queue: Queue) -> None:
    """A job still queued long after it was created while nothing runs lost its message
    (e.g. the server was killed between recording and queuing it): queue it again."""
    jobs = unfinished(ctx.store)
    if any(job.status != QUEUED for job in jobs):
        return
    cutoff = utcnow() - timedelta(seconds=LOST_SECONDS)
    for job in jobs:
        if job.created_at < cutoff and queue.pending() == 0:
            log.warning(
                "job %s was queued %s ago and never started: queuing it again",
                job.id,
                utcnow() - job.created_at,
            )
            queue.enqueue(job.id)


def run_worker(settings: Settings) -> None:
    """Consume the queue until SIGINT (finish the running job first) or SIGTERM."""
    ctx = Core.open(settings)

    def run(job_id: int) -> None:
        run_job(ctx, job_id)

    queue = Queue(settings, runner=run)
    for job_id in recover_stale(ctx.store):
        log.warning("job %s was left running by a stopped worker: marked failed", job_id)
    queued = [job.id for job in unfinished(ctx.store) if job.status == QUEUED]
    for job_id in queued:
        queue.enqueue(job_id)
    log.info("worker ready (%s queued job(s) carried on)", len(queued))
    stop = threading.Event()
    sweeper = threading.Thread(
        target=_sweep, args=(ctx, queue, stop), name="tagloop-sweeper", daemon=True
    )
    sweeper.start()
    consumer = queue.huey.create_consumer(
        workers=1, periodic=False, initial_delay=0.1, backoff=1.15, max_delay=1.0
    )
    try:
        consumer.run()
    finally:
        stop.set()
        for job_id in fail_own_jobs(ctx.store, "the worker was stopped while running this job"):
            log.warning("job %s marked failed: the worker stopped", job_id)
        ctx.close()
