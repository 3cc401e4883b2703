"""``Core``: what every service function needs — settings, the database, the served models,
the prediction writer and the job queue — opened once per process by the API, the CLI or
the worker."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tagloop.config import Settings
from tagloop.ml.registry import Registry
from tagloop.service import projects
from tagloop.service.projects import ProjectRef
from tagloop.service.serving import ModelCache
from tagloop.store import Store
from tagloop.store.writer import PredictionWriter

if TYPE_CHECKING:
    from tagloop.service.queue import Queue


@dataclass
class Core:
    settings: Settings
    store: Store
    models: ModelCache
    writer: PredictionWriter
    _queue: tuple[int, Queue] | None = field(default=None, repr=False)
    _projects: dict[str, tuple[float, int, ProjectRef]] = field(default_factory=dict, repr=False)
    _accounts: tuple[float, bool] = field(default=(0.0, False), repr=False)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        upgrade: bool = True,
        on_swap: Callable[[int, int], None] | None = None,
    ) -> Core:
        store = Store.open(settings, upgrade=upgrade)
        projects.ensure_default(store, settings)
        models = ModelCache(
            store,
            settings.home,
            poll_seconds=settings.model_poll_seconds,
            capacity=settings.max_loaded_models,
            on_swap=on_swap,
        )
        return cls(settings, store, models, PredictionWriter(store.engine))

    def project(self, slug: str | None = None) -> ProjectRef:
        """A project by slug; the default project when ``slug`` is None or empty.

        Every request names its project, so the row is kept for as long as a process waits
        to notice a new model (``model_poll_seconds``): a change made elsewhere shows within
        that time, as an activation does; one made in this process shows at once."""
        slug = slug or self.settings.default_project
        now, seen = time.monotonic(), projects.changes()
        hit = self._projects.get(slug)
        if hit and hit[1] == seen and now - hit[0] < self.settings.model_poll_seconds:
            return hit[2]
        ref = projects.get(self.store, self.settings, slug)
        self._projects[slug] = (now, seen, ref)
        return ref

    def accounts_exist(self) -> bool:
        """Whether any user account exists (until then the server is open, as before
        accounts: see service.access). Once true it stays true; false is checked again
        after ``model_poll_seconds``."""
        checked, exist = self._accounts
        now = time.monotonic()
        if not exist and (not checked or now - checked >= self.settings.model_poll_seconds):
            from tagloop.service.users import has_users

            self._accounts = (now, has_users(self.store))
        return self._accounts[1]

    def registry(self, project: ProjectRef) -> Registry:
        return Registry(self.store, self.settings.home, project.id)

    def queue(self) -> Queue:
        """This process's handle on the job queue, opened on first use (after a fork)."""
        from tagloop.service.queue import Queue

        if self._queue is None or self._queue[0] != os.getpid():
            self._queue = (os.getpid(), Queue(self.settings))
        return self._queue[1]

    def close(self) -> None:
        self.writer.close()
        self.store.close()
