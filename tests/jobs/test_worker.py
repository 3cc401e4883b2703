"""The worker's housekeeping: jobs whose queue message was lost are queued again."""

from __future__ import annotations

from datetime import timedelta

from tagloop.jobs.worker import LOST_SECONDS, _requeue_lost
from tagloop.service.job_state import claim, create_job
from tagloop.service.queue import Queue
from tagloop.store.models import Job, utcnow


def test_a_job_queued_long_ago_and_never_started_is_queued_again(settings, ctx) -> None:  # type: ignore[no-untyped-def]
    queue = Queue(settings)
    job = create_job(ctx.store, ctx.project.id, "retrain")  # recorded, its message never sent
    _requeue_lost(ctx.core, queue)
    assert queue.pending() == 0  # too recent to call lost

    with ctx.store.transaction() as session:
        session.get(Job, job.id).created_at = utcnow() - timedelta(seconds=LOST_SECONDS + 1)
    _requeue_lost(ctx.core, queue)
    assert queue.pending() == 1
    _requeue_lost(ctx.core, queue)
    assert queue.pending() == 1  # not again while its message waits

    queue.huey.flush()
    claim(ctx.store, job.id)
    _requeue_lost(ctx.core, queue)
    assert queue.pending() == 0  # running jobs are the sweeper's other half
