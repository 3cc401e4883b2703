"""Projects in the core: create, validate, change, delete, and the default project."""

from __future__ import annotations

import pytest

from tagloop.service import projects
from tagloop.service.errors import Conflict, Invalid, NotFound


def test_the_default_project_exists_and_cannot_be_deleted(core) -> None:  # type: ignore[no-untyped-def]
    default = core.project()
    assert default.slug == "default"
    with pytest.raises(Conflict, match="default project"):
        projects.delete_project(core.store, core.settings, default)


@pytest.mark.parametrize("slug", ["", "Spam", "-x", "a b", "x" * 65, "ünï"])
def test_bad_project_names_are_refused_with_the_rule(core, slug) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid, match="lowercase letters, digits"):
        projects.create(core.store, core.settings, slug)


def test_a_taken_name_is_a_conflict_and_an_unknown_one_not_found(core) -> None:  # type: ignore[no-untyped-def]
    projects.create(core.store, core.settings, "sentiment", labels=["pos", "neg"])
    with pytest.raises(Conflict, match="already exists"):
        projects.create(core.store, core.settings, "sentiment")
    with pytest.raises(NotFound, match="'nope' does not exist") as caught:
        core.project("nope")
    assert caught.value.code == "project_not_found"


def test_settings_fall_back_to_the_server_defaults_and_are_validated(core) -> None:  # type: ignore[no-untyped-def]
    core.settings.auto_retrain_after = 7
    ref = projects.create(core.store, core.settings, "s", project_settings={"retention_days": 3})
    assert (ref.settings.auto_retrain_after, ref.settings.retention_days) == (7, 3)
    with pytest.raises(Invalid, match="unknown project setting 'colour'"):
        projects.update(core.store, core.settings, ref, project_settings={"colour": "red"})
    with pytest.raises(Invalid, match="auto_promote_metric"):
        projects.update(
            core.store, core.settings, ref, project_settings={"auto_promote_metric": "x"}
        )
    changed = projects.update(
        core.store, core.settings, ref, project_settings={"auto_retrain_after": 0}
    )
    assert changed.settings.auto_retrain_after == 0 and changed.settings.retention_days == 3


def test_labels_in_use_cannot_be_removed_but_can_be_renamed(core, tickets) -> None:  # type: ignore[no-untyped-def]
    names = [label.name for label in tickets.labels]
    assert names == ["billing", "bug", "feature"]
    with pytest.raises(Conflict, match="'bug'"):
        projects.update(core.store, core.settings, tickets, labels=["billing", "feature"])
    renamed = projects.update(
        core.store,
        core.settings,
        tickets,
        labels=[{"name": "billing", "display": "Billing team"}, "bug", "feature", "other"],
    )
    assert renamed.display("billing") == "Billing team"
    assert [label.name for label in renamed.labels] == ["billing", "bug", "feature", "other"]


def test_deleting_a_project_removes_everything_it_owns_and_nothing_else(core, tickets) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from tagloop.service.predictions import classify
    from tagloop.store.models import Activation, ModelVersion, Prediction

    classify(core, tickets, ["the app crashes"], source="api")
    classify(core, core.project(), ["free prize, call now"], source="api")
    paths = projects.delete_project(core.store, core.settings, tickets)
    assert len(paths) == 1 and paths[0].startswith("artifacts/")
    with core.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Prediction)) == 1
        owners = set(session.scalars(select(ModelVersion.project_id)))
        owners |= set(session.scalars(select(Activation.project_id)))
    assert owners == {core.project().id}
    with pytest.raises(NotFound):
        core.project("tickets")


def test_a_project_is_cached_per_process_yet_changes_show(settings, core) -> None:  # type: ignore[no-untyped-def]
    """The row is read once per poll interval, not on every request; a change this process
    makes shows at once, one made by another process within the interval."""
    import time
    from dataclasses import replace

    from tagloop.service.core import Core

    settings = replace(settings, model_poll_seconds=0.3)
    here, elsewhere = Core.open(settings), Core.open(settings)
    try:
        first = here.project("default")
        assert here.project("default") is first  # served from the cache
        projects.update(here.store, here.settings, first, description="changed here")
        assert here.project("default").description == "changed here"
        # "elsewhere" stands for another server process: it has its own cache.
        seen = elsewhere.project("default")
        with elsewhere.store.transaction() as session:
            from tagloop.store.models import Project

            row = session.get(Project, seen.id)
            assert row is not None
            row.description = "changed elsewhere"
        assert elsewhere.project("default").description == "changed here"
        time.sleep(0.35)
        assert elsewhere.project("default").description == "changed elsewhere"
    finally:
        here.close()
        elsewhere.close()


def test_a_label_given_again_keeps_its_place_and_takes_the_later_display_name() -> None:
    labels = projects.check_labels(
        ["bug", {"name": "billing", "display": "Billing"}, {"name": "bug", "display": "Bug"}, "bug"]
    )
    assert labels == [
        {"name": "bug", "display": "Bug"},
        {"name": "billing", "display": "Billing"},
    ]
    with pytest.raises(Invalid, match="not blank"):
        projects.check_labels(["bug", " "])
