"""Job state: claiming, cancelling, failures, and recovery of jobs a dead worker left."""

from __future__ import annotations

import socket
import subprocess
from datetime import timedelta

import pytest

from tagloop.service.job_state import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    JobCancelled,
    JobRun,
    claim,
    create_job,
    describe_job,
    fail_own_jobs,
    get_job,
    recover_stale,
    request_cancel,
)
from tagloop.store.models import Job, utcnow

PROJECT = 1  # the default project: the first one made in a fresh database


@pytest.fixture
def store(registry):  # type: ignore[no-untyped-def]
    assert registry.project_id == PROJECT
    return registry.store


def dead_worker() -> str:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


def set_job(store, job_id: int, **values) -> None:  # type: ignore[no-untyped-def]
    with store.transaction() as session:
        row = session.get(Job, job_id)
        for key, value in values.items():
            setattr(row, key, value)


def test_a_job_is_claimed_once(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain", requested_by="tester")
    assert job.status == QUEUED
    assert claim(store, job.id, worker="host:1")
    assert not claim(store, job.id, worker="host:2")
    row = get_job(store, job.id)
    assert row.status == RUNNING and row.worker == "host:1" and row.heartbeat_at is not None


def test_a_stale_running_job_is_failed_with_a_clear_error(store) -> None:  # type: ignore[no-untyped-def]
    # Two kinds: at most one job of a kind is unfinished at a time (see the last test).
    stale, fresh = create_job(store, PROJECT, "retrain"), create_job(store, PROJECT, "evaluate")
    for job in (stale, fresh):
        claim(store, job.id, worker="elsewhere:123")
    set_job(store, stale.id, heartbeat_at=utcnow() - timedelta(seconds=120), stage="training")
    assert recover_stale(store, stale_seconds=30) == [stale.id]
    row = get_job(store, stale.id)
    assert row.status == FAILED and row.finished_at is not None
    assert "no heartbeat" in row.error and "training" in row.error
    assert get_job(store, fresh.id).status == RUNNING
    assert recover_stale(store, stale_seconds=30) == []


def test_a_job_whose_worker_process_is_gone_fails_at_once(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain")
    worker = dead_worker()
    claim(store, job.id, worker=worker)
    assert recover_stale(store) == [job.id]  # no waiting for the heartbeat to go stale
    assert worker in get_job(store, job.id).error


def test_a_live_worker_on_this_host_keeps_its_job(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain")
    claim(store, job.id)  # this process
    assert recover_stale(store) == []


def test_cancel_a_queued_job_at_once(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain")
    row = request_cancel(store, job.id, actor="admin")
    assert row.status == CANCELLED and "cancelled by admin" in row.log
    assert not claim(store, job.id)  # its queue message is then skipped


def test_cancel_a_running_job_at_its_next_checkpoint(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain")
    claim(store, job.id)
    with JobRun(store, job.id) as run:
        run.progress("training", 0.2)
        assert request_cancel(store, job.id).status == RUNNING
        run.progress("evaluating", 0.8)  # a new stage is always a checkpoint
        pytest.fail("the checkpoint should have stopped the run")
    row = get_job(store, job.id)
    assert row.status == CANCELLED and row.finished_at is not None


def test_progress_stage_log_and_success_are_recorded(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain")
    claim(store, job.id)
    with JobRun(store, job.id) as run:
        run.progress("collecting data", 0.1)
        run.progress("training", 0.5)
        run.succeed({"ok": True}, candidate_id=7)
    data = describe_job(get_job(store, job.id))
    assert data["status"] == SUCCEEDED and data["progress"] == 1.0
    assert data["result"] == {"ok": True} and data["candidate_id"] == 7
    assert "collecting data" in data["log"] and "training" in data["log"]


def test_an_error_fails_the_job_with_its_message(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain")
    claim(store, job.id)
    with JobRun(store, job.id):
        raise ValueError("the data file is gone")
    row = get_job(store, job.id)
    assert row.status == FAILED and row.error == "the data file is gone"


def test_cancelled_is_raised_only_for_a_cancel(store) -> None:  # type: ignore[no-untyped-def]
    job = create_job(store, PROJECT, "retrain")
    claim(store, job.id)
    with JobRun(store, job.id) as run:
        run.check_cancel()
        request_cancel(store, job.id)
        with pytest.raises(JobCancelled):
            run.check_cancel()
        run.fail("stopped")


def test_a_stopping_worker_fails_its_own_jobs_only(store) -> None:  # type: ignore[no-untyped-def]
    mine, other = create_job(store, PROJECT, "retrain"), create_job(store, PROJECT, "evaluate")
    claim(store, mine.id, worker="me:1")
    claim(store, other.id, worker="other:2")
    assert fail_own_jobs(store, "worker stopped", worker="me:1") == [mine.id]
    assert get_job(store, other.id).status == RUNNING


def test_the_database_keeps_one_unfinished_job_per_kind(store) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    first = create_job(store, PROJECT, "retrain")
    with pytest.raises(IntegrityError):
        create_job(store, PROJECT, "retrain")  # what a process that lost the race would do
    claim(store, first.id, worker="me:1")
    with pytest.raises(IntegrityError):
        create_job(store, PROJECT, "retrain")
    fail_own_jobs(store, "stopped", worker="me:1")
    assert create_job(store, PROJECT, "retrain").status == QUEUED


def test_simultaneous_submissions_queue_one_job(store, settings) -> None:  # type: ignore[no-untyped-def]
    """Two processes checking 'nothing unfinished' at the same moment: the database decides."""
    import os
    import threading

    from tagloop.service.core import Core
    from tagloop.service.jobs import JobInProgress, submit

    class Recorder:  # the queue's side is not what is tested here
        def __init__(self) -> None:
            self.sent: list[int] = []

        def enqueue(self, job_id: int) -> None:
            self.sent.append(job_id)

    queue, outcomes, start = Recorder(), [], threading.Barrier(6)
    core = Core.open(settings)
    core._queue = (os.getpid(), queue)  # type: ignore[assignment]
    project = core.project()

    def race() -> None:
        start.wait()
        try:
            outcomes.append(submit(core, project, "retrain", {}, "race").id)
        except JobInProgress as exc:
            outcomes.append(("refused", exc.job.id))

    threads = [threading.Thread(target=race) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    core.close()
    accepted = [o for o in outcomes if isinstance(o, int)]
    assert len(outcomes) == 6 and len(accepted) == 1
    assert queue.sent == accepted
    assert all(o == ("refused", accepted[0]) for o in outcomes if o not in accepted)
