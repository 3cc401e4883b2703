"""Each project keeps its predictions for its ``retention_days`` (0: for ever)."""

from __future__ import annotations

from tagloop.service import projects
from tagloop.service.core import Core
from tagloop.store.retention import prune_predictions


def prune_expired(core: Core) -> dict[str, tuple[int, int]] | None:
    """Delete predictions past each project's retention: {slug: (deleted, days)} for the
    projects that have one, None when none has."""
    deleted: dict[str, tuple[int, int]] | None = None
    for project in projects.list_all(core.store, core.settings):
        days = project.settings.retention_days
        if days > 0:
            deleted = deleted or {}
            deleted[project.slug] = (prune_predictions(core.store, project.id, days), days)
    return deleted
