"""The models a process serves: each project's active version, loaded on first use,
swapped when another is activated, kept when a new one cannot load, at most N at once."""

from __future__ import annotations

import pytest

from tagloop.service import models
from tagloop.service.errors import Conflict, Unavailable
from tagloop.service.serving import ModelCache


def cache(core, capacity: int = 8) -> ModelCache:  # type: ignore[no-untyped-def]
    return ModelCache(core.store, core.settings.home, poll_seconds=0, capacity=capacity)


def test_each_project_is_loaded_on_first_use_and_the_least_recent_unloaded(core, tickets) -> None:  # type: ignore[no-untyped-def]
    from tagloop.service import projects

    served = cache(core, capacity=1)
    sms = core.project()
    assert served.served(sms.id, sms.slug).labels == ("ham", "spam")
    assert served.served(tickets.id, tickets.slug).labels == ("billing", "bug", "feature")
    assert list(served._slots) == [tickets.id]  # the SMS model was unloaded
    empty = projects.create(core.store, core.settings, "empty")
    with pytest.raises(Unavailable, match="'empty' has no active model") as caught:
        served.served(empty.id, empty.slug)
    assert caught.value.code == "no_active_model"


def test_a_new_active_version_is_swapped_in_and_a_broken_one_keeps_the_old(  # type: ignore[no-untyped-def]
    core, registry, trained
) -> None:
    sms = core.project()
    served = cache(core)
    first = served.served(sms.id, sms.slug).version
    second = registry.register(trained.model, **trained.registry_metadata())
    models.activate(core, sms, second.id, actor="test")
    assert served.served(sms.id, sms.slug).version == second.id  # swapped

    third = registry.register(trained.model, **trained.registry_metadata(), description="3")
    registry.activate(third.id, actor="test")  # as another process would, then …
    path = core.settings.home / third.artifact_path
    path.write_bytes(path.read_bytes()[:-1] + b"x")  # … the file is damaged
    # (registered twice from one model: both rows share the artifact, damaged for both)
    still = served.served(sms.id, sms.slug)
    assert still.version == second.id, "the working model must keep serving"
    [(project_id, why)] = served.problems().items()
    assert project_id == sms.id and f"version {third.id} cannot be loaded" in why
    assert first != second.id


def test_activating_a_damaged_artifact_is_refused_and_changes_nothing(
    core, registry, trained
) -> None:  # type: ignore[no-untyped-def]
    sms = core.project()
    before = core.registry(sms).active_id()
    import shutil

    row = registry.register(trained.model, **trained.registry_metadata())
    path = core.settings.home / row.artifact_path
    copy = path.with_name("copy.model")
    shutil.copy(path, copy)
    with core.store.transaction() as session:  # a version whose own file is then damaged
        from tagloop.store.models import ModelVersion

        session.get(ModelVersion, row.id).artifact_path = str(copy.relative_to(core.settings.home))
    copy.write_bytes(b"\0" + copy.read_bytes()[1:])
    with pytest.raises(Conflict, match="refusing to load a changed file") as caught:
        models.activate(core, sms, row.id, actor="test")
    assert caught.value.code == "artifact_invalid"
    assert core.registry(sms).active_id() == before
