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
from typing import TYPE_CHECKING

from tagloop.config import Settings

if TYPE_CHECKING:
    from huey import Huey

log = logging.getLogger(__name__)
TASK = "run-job"  # one Huey task: the worker runs the job the id names, whatever its kind


class QueueError(RuntimeError):
    """The queue cannot be reached or is misconfigured."""


def make_huey(settings: Settings) -> Huey:
    # Imported here: huey loads redis and psycopg with it (0.3 s), and a server process
    # that never queues a job need not.
    from huey import RedisHuey, SqliteHuey

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
        self._task = self.huey.task(name=TASK)(self._run)

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
