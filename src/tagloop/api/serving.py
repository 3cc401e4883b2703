"""The model each server process serves, swapped live when the active version changes.

Every process loads the active model once, then a daemon thread polls the registry (one
indexed query) every ``model_poll_seconds``. A new version is loaded beside the old one and
swapped in with one reference assignment, so a request that already took the old model
finishes with it: each response comes from one whole version and names it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app

from tagloop.api import observability
from tagloop.config import Settings
from tagloop.ml.backends.base import Backend
from tagloop.ml.registry import Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    version: int
    model: Backend
    labels: tuple[str, ...]
    backend: str


class ModelHolder:
    def __init__(self, registry: Registry, poll_seconds: float) -> None:
        self.registry = registry
        self.poll_seconds = poll_seconds
        self._served: Served | None = None
        self._lock = threading.Lock()
        self._pid: int | None = None
        self.last_error: str = ""

    def current(self) -> Served | None:
        if self._pid != os.getpid():
            self._start()
        return self._served

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # After a fork the parent's thread is gone: every worker starts its own.
            self.refresh()
            if self.poll_seconds > 0:
                thread = threading.Thread(target=self._poll, name="tagloop-model-poll", daemon=True)
                thread.start()
            # Only now: a concurrent first request waits on the lock above for the model
            # instead of finding no model and answering 503.
            self._pid = os.getpid()

    def refresh(self) -> bool:
        """Load the active version if it is not the one served; True if it changed."""
        try:
            active_id = self.registry.active_id()
            served = self._served
            if active_id is None or (served is not None and served.version == active_id):
                return False
            row = self.registry.get(active_id)
            model = self.registry.load(row)
        except Exception as exc:  # keep serving the old model, report through /readyz
            self.last_error = str(exc)
            log.error("could not load the active model: %s", exc)
            return False
        self._served = Served(row.id, model, tuple(model.classes_), row.backend)
        self.last_error = ""
        observability.model_served(row.id)
        log.info("serving model version %s (pid %s)", row.id, os.getpid())
        return True

    def _poll(self) -> None:
        while True:
            time.sleep(self.poll_seconds)
            self.refresh()


def init_app(app: Flask, registry: Registry, settings: Settings) -> None:
    app.extensions["tagloop.models"] = ModelHolder(registry, settings.model_poll_seconds)


def holder() -> ModelHolder:
    return current_app.extensions["tagloop.models"]
