"""The models a process serves: each project's active version, loaded on first use, swapped
live when the project's active version changes, and at most ``TAGLOOP_MAX_LOADED_MODELS``
of them in memory (the least recently used is unloaded first).

A daemon thread per process polls the active versions of the loaded projects (one indexed
query) every ``model_poll_seconds``. A new version is loaded beside the old one and swapped
in with one reference assignment, so a request that already took the old model finishes
with it: each response comes from one whole version and names it. A version that cannot be
loaded leaves the old one serving, and ``problems`` reports it (``/readyz`` answers 503).
With ``model_poll_seconds`` 0 there is no thread and every use checks the active version.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from tagloop.ml.backends.base import Backend
from tagloop.ml.registry import Registry, RegistryError
from tagloop.service.errors import Unavailable
from tagloop.store import Store
from tagloop.store.models import Activation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    version: int
    model: Backend
    labels: tuple[str, ...]
    backend: str


@dataclass
class _Slot:
    project_id: int
    served: Served | None = None
    error: str = ""  # why the active version could not be loaded ("" when it was)
    failed_version: int | None = None


class ModelCache:
    def __init__(
        self,
        store: Store,
        home: Path,
        *,
        poll_seconds: float,
        capacity: int,
        on_swap: Callable[[int, int], None] | None = None,
    ) -> None:
        self.store = store
        self.home = home
        self.poll_seconds = poll_seconds
        self.capacity = max(1, capacity)
        self.on_swap = on_swap
        self._slots: OrderedDict[int, _Slot] = OrderedDict()
        self._lock = threading.Lock()  # guards _slots
        self._load_locks: dict[int, threading.Lock] = {}
        self._pid: int | None = None

    def served(self, project_id: int, slug: str) -> Served:
        """The project's served model, loading it on first use; 503 if none can serve."""
        self._own_process()
        slot = self._slot(project_id)
        if slot is None or self.poll_seconds <= 0:
            slot = self._load(project_id)
        if slot.served is None:
            if slot.error:
                raise Unavailable(f"project {slug!r}: {slot.error}", code="model_unavailable")
            raise Unavailable(
                f"project {slug!r} has no active model: train one "
                f"('tagloop train --project {slug}') or activate a version",
                code="no_active_model",
            )
        return slot.served

    def _slot(self, project_id: int) -> _Slot | None:
        with self._lock:
            slot = self._slots.get(project_id)
            if slot is not None:
                self._slots.move_to_end(project_id)
            return slot

    def _load(self, project_id: int) -> _Slot:
        """(Re)load the project's active version if it is not the one served."""
        with self._lock:
            lock = self._load_locks.setdefault(project_id, threading.Lock())
        with lock:  # one load per project at a time; others wait for it, not a 503
            with self._lock:
                slot = self._slots.get(project_id) or _Slot(project_id)
            self._refresh(slot, Registry(self.store, self.home, project_id).active_id())
            with self._lock:
                self._slots[project_id] = slot
                self._slots.move_to_end(project_id)
                while len(self._slots) > self.capacity:
                    dropped, _ = self._slots.popitem(last=False)
                    log.info("unloaded project %s's model (least recently used)", dropped)
        return slot

    def _refresh(self, slot: _Slot, active_id: int | None) -> bool:
        served = slot.served
        if active_id is None:
            slot.served, slot.error, slot.failed_version = None, "", None
            return served is not None
        if served is not None and served.version == active_id:
            slot.error, slot.failed_version = "", None
            return False
        if slot.failed_version == active_id:
            return False  # already failed: the poll does not retry a broken file every tick
        registry = Registry(self.store, self.home, slot.project_id)
        try:
            row = registry.get(active_id)
            model = registry.load(row)
        except (RegistryError, OSError, ValueError) as exc:
            slot.error = f"version {active_id} cannot be loaded: {exc}"
            slot.failed_version = active_id
            log.error("project %s: %s", slot.project_id, slot.error)
            return False
        slot.served = Served(row.id, model, tuple(model.classes_), row.backend)
        slot.error, slot.failed_version = "", None
        if self.on_swap is not None:
            self.on_swap(slot.project_id, row.id)
        log.info("project %s: serving version %s (pid %s)", slot.project_id, row.id, os.getpid())
        return True

    def refresh(self) -> bool:
        """Check every loaded project once; True if any swapped."""
        with self._lock:
            slots = list(self._slots.values())
        if not slots:
            return False
        active = self._active_ids([s.project_id for s in slots])
        changed = False
        for slot in slots:
            try:
                changed |= self._refresh(slot, active.get(slot.project_id))
            except Exception:  # keep polling whatever one project does
                log.exception("project %s: refreshing the model failed", slot.project_id)
        return changed

    def _active_ids(self, project_ids: list[int]) -> dict[int, int]:
        newest = (
            select(func.max(Activation.id))
            .where(Activation.project_id.in_(project_ids))
            .group_by(Activation.project_id)
        )
        query = select(Activation.project_id, Activation.model_id).where(Activation.id.in_(newest))
        with self.store.session() as session:
            return {pid: mid for pid, mid in session.execute(query)}

    def problems(self) -> dict[int, str]:
        """Loaded projects whose active version cannot be served, and why."""
        with self._lock:
            return {pid: s.error for pid, s in self._slots.items() if s.error}

    def forget(self, project_id: int) -> None:
        with self._lock:
            self._slots.pop(project_id, None)

    def _own_process(self) -> None:
        # After a fork the parent's thread is gone: every process starts its own poller.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._slots.clear()
            self._load_locks.clear()
        if self.poll_seconds > 0:
            thread = threading.Thread(target=self._poll, name="tagloop-model-poll", daemon=True)
            thread.start()

    def _poll(self) -> None:
        while True:
            time.sleep(self.poll_seconds)
            try:
                self.refresh()
            except Exception:  # the database may be down for a while: try again next tick
                log.exception("polling the active models failed")
