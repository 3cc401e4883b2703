"""A job's life in the ``jobs`` table: queued → running → succeeded | failed | cancelled.

Only conditional UPDATEs change a job's status, so two processes never both claim, finish or
cancel the same job. While a job runs, a thread heartbeats every ``HEARTBEAT_SECONDS``; a
running job whose worker process is gone (same host, dead pid) or whose heartbeat is older
than ``STALE_SECONDS`` is marked failed by ``recover_stale`` — the worker calls it when it
starts and periodically, the API when a retraining is requested or jobs are listed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import select, update

from tagloop.store import Store
from tagloop.store.models import Job, utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
HEARTBEAT_SECONDS = 2.0
STALE_SECONDS = 30.0
CHECKPOINT_SECONDS = 0.25


class JobCancelled(Exception):
    """Raised at a progress checkpoint after a cancel was requested."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_job(
    store: Store,
    project_id: int,
    kind: str,
    *,
    params: dict[str, Any] | None = None,
    requested_by: str = "",
    requested_by_id: int | None = None,
) -> Job:
    job = Job(
        project_id=project_id,
        kind=kind,
        status=QUEUED,
        params=params or {},
        requested_by=requested_by[:200],
        requested_by_id=requested_by_id,
        stage="queued",
        log=_line("queued" + (f" by {requested_by}" if requested_by else "")),
    )
    with store.transaction() as session:
        session.add(job)
    return job


def get_job(store: Store, job_id: int) -> Job | None:
    if not 0 < job_id < 2**31:  # jobs.id is a 32-bit INTEGER: larger ids make drivers raise
        return None
    with store.session() as session:
        return session.get(Job, job_id)


def list_jobs(store: Store, project_id: int | None, limit: int = 50) -> list[Job]:
    """A project's jobs (every project's with None), newest first."""
    query = select(Job)
    if project_id is not None:
        query = query.where(Job.project_id == project_id)
    with store.session() as session:
        return list(session.scalars(query.order_by(Job.id.desc()).limit(limit)))


def unfinished(store: Store, kind: str | None = None, project_id: int | None = None) -> list[Job]:
    """Queued or running jobs, oldest first, of a kind and a project (or of all)."""
    query = select(Job).where(Job.status.in_((QUEUED, RUNNING)))
    if kind is not None:
        query = query.where(Job.kind == kind)
    if project_id is not None:
        query = query.where(Job.project_id == project_id)
    with store.session() as session:
        return list(session.scalars(query.order_by(Job.id)))


def _set(store: Store, job_id: int, *where: Any, **values: Any) -> bool:
    """One conditional UPDATE; True if it changed the row."""
    line = values.pop("append_log", None)
    if line is not None:
        values["log"] = Job.log + line
    with store.engine.begin() as conn:
        result = conn.execute(update(Job).where(Job.id == job_id, *where).values(**values))
    return bool(result.rowcount)


def _line(message: str) -> str:
    return f"{utcnow():%Y-%m-%d %H:%M:%S} {message}\n"


def claim(store: Store, job_id: int, worker: str | None = None) -> bool:
    """queued → running for this process; False if the job is not queued any more."""
    now = utcnow()
    who = worker or worker_id()
    return _set(
        store,
        job_id,
        Job.status == QUEUED,
        status=RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=who,
        stage="starting",
        append_log=_line(f"started on {who}"),
    )


def request_cancel(store: Store, job_id: int, actor: str = "") -> Job | None:
    """Cancel a queued job now; ask a running one to stop at its next checkpoint."""
    by = f" by {actor}" if actor else ""
    now = utcnow()
    _set(
        store,
        job_id,
        Job.status == QUEUED,
        status=CANCELLED,
        finished_at=now,
        stage="cancelled",
        append_log=_line(f"cancelled{by}"),
    )
    _set(
        store,
        job_id,
        Job.status == RUNNING,
        Job.cancel_requested.is_(False),
        cancel_requested=True,
        append_log=_line(f"cancel requested{by}"),
    )
    return get_job(store, job_id)


def fail_queued(store: Store, job_id: int, error: str) -> bool:
    """A queued job that can never run (e.g. the queue was unreachable) ends as failed."""
    return _set(
        store,
        job_id,
        Job.status == QUEUED,
        status=FAILED,
        finished_at=utcnow(),
        stage="failed",
        error=error,
        append_log=_line(f"failed: {error}"),
    )


def _pid_gone(worker: str) -> bool:
    """True only when the worker ran on this host and its process no longer exists."""
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child its parent has not reaped yet is a zombie: gone all the same
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def recover_stale(
    store: Store, *, stale_seconds: float = STALE_SECONDS, now: datetime | None = None
) -> list[int]:
    """Mark running jobs whose worker is gone as failed; returns their ids."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=stale_seconds)
    query = select(Job.id, Job.worker, Job.heartbeat_at, Job.started_at, Job.stage).where(
        Job.status == RUNNING
    )
    with store.session() as session:
        running = session.execute(query).all()
    failed = []
    for job_id, worker, heartbeat, started, stage in running:
        last = heartbeat or started or now
        if worker and _pid_gone(worker):
            error = f"the worker running this job ({worker}) stopped during '{stage}'"
        elif last < cutoff:
            error = (
                f"no heartbeat from the worker ({worker or 'unknown'}) for over "
                f"{stale_seconds:.0f}s during '{stage}': it was killed or lost"
            )
        else:
            continue
        if _set(
            store,
            job_id,
            Job.status == RUNNING,
            Job.heartbeat_at == heartbeat if heartbeat is not None else Job.heartbeat_at.is_(None),
            status=FAILED,
            finished_at=now,
            error=error,
            append_log=_line(f"failed: {error}"),
        ):
            log.warning("job %s marked failed: %s", job_id, error)
            failed.append(job_id)
    return failed


def fail_own_jobs(store: Store, reason: str, worker: str | None = None) -> list[int]:
    """Mark the jobs this process is running as failed (a worker shutting down)."""
    who = worker or worker_id()
    with store.session() as session:
        ids = list(session.scalars(select(Job.id).where(Job.status == RUNNING, Job.worker == who)))
    return [
        job_id
        for job_id in ids
        if _set(
            store,
            job_id,
            Job.status == RUNNING,
            status=FAILED,
            finished_at=utcnow(),
            error=reason,
            append_log=_line(f"failed: {reason}"),
        )
    ]


class JobRun:
    """The running side of one job: progress checkpoints, heartbeat, and the final state.

    Use as a context manager around the work; an exception marks the job failed (or
    cancelled, for ``JobCancelled``) and is not propagated, except ``BaseException``s such
    as ``KeyboardInterrupt``, which also mark it failed and then go on.
    """

    def __init__(
        self,
        store: Store,
        job_id: int,
        *,
        on_progress: Callable[[str, float], None] | None = None,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.store = store
        self.job_id = job_id
        self.on_progress = on_progress
        self.heartbeat_seconds = heartbeat_seconds
        self.finished = False
        self._stage = ""
        self._last_write = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> JobRun:
        self._thread = threading.Thread(
            target=self._heartbeat, name=f"tagloop-job-{self.job_id}-heartbeat", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if exc is None:
            if not self.finished:
                self.fail("the job ended without a result")
            return False
        if isinstance(exc, JobCancelled):
            self._end(CANCELLED, "cancelled", error="cancelled on request")
            return True
        log.error("job %s failed", self.job_id, exc_info=(kind, exc, tb))  # type: ignore[arg-type]
        message = str(exc) or type(exc).__name__
        if not isinstance(exc, Exception):
            message = f"interrupted ({type(exc).__name__})"
        self.fail(message)
        return isinstance(exc, Exception)

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                _set(self.store, self.job_id, Job.status == RUNNING, heartbeat_at=utcnow())
            except Exception:  # a missed beat is retried; the job goes on
                log.exception("job %s: heartbeat failed", self.job_id)

    def progress(self, stage: str, fraction: float) -> None:
        """A checkpoint: record progress (throttled) and stop here if cancel was asked."""
        if self.on_progress is not None:
            self.on_progress(stage, fraction)
        new_stage = stage != self._stage
        now = time.monotonic()
        if not new_stage and now - self._last_write < CHECKPOINT_SECONDS:
            return
        self._last_write = now
        values: dict[str, Any] = {
            "progress": max(0.0, min(1.0, fraction)),
            "stage": stage[:200],
            "heartbeat_at": utcnow(),
        }
        if new_stage:
            self._stage = stage
            values["append_log"] = _line(stage)
        _set(self.store, self.job_id, Job.status == RUNNING, **values)
        self.check_cancel()

    def check_cancel(self) -> None:
        with self.store.session() as session:
            row = session.execute(
                select(Job.cancel_requested, Job.status).where(Job.id == self.job_id)
            ).one()
        if row.cancel_requested or row.status == CANCELLED:
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def log(self, message: str) -> None:
        _set(self.store, self.job_id, append_log=_line(message))

    def succeed(self, result: dict[str, Any], candidate_id: int | None = None) -> None:
        self._end(SUCCEEDED, "done", result=result, candidate_id=candidate_id, progress=1.0)

    def fail(self, error: str) -> None:
        self._end(FAILED, "failed", error=error)

    def _end(self, status: str, message: str, **values: Any) -> None:
        self.finished = True
        line = message if status != FAILED else f"failed: {values.get('error', '')}"
        _set(
            self.store,
            self.job_id,
            Job.status == RUNNING,
            status=status,
            finished_at=utcnow(),
            stage=message,
            append_log=_line(line),
            **values,
        )


def describe_job(job: Job) -> dict[str, Any]:
    """A job as JSON-ready data (the API and ``tagloop jobs`` share it)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "stage": job.stage,
        "log": job.log,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "heartbeat_at": _iso(job.heartbeat_at),
        "error": job.error,
        "candidate_id": job.candidate_id,
        "result": job.result,
        "params": job.params,
        "requested_by": job.requested_by,
        "cancel_requested": job.cancel_requested,
        "worker": job.worker,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"
