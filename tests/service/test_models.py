"""Comparing two versions: reading serves what is stored and scores nothing; scoring now is
asked for explicitly (``fresh``)."""

from __future__ import annotations

import pytest

from tagloop.service import models
from tagloop.service.errors import Conflict, NotFound
from tagloop.store.models import ModelVersion


def test_a_comparison_is_read_as_stored_and_never_computed_without_fresh(  # type: ignore[no-untyped-def]
    core, registry, trained, active_version
) -> None:
    sms = core.project()
    other = registry.register(trained.model, **trained.registry_metadata()).id
    with pytest.raises(NotFound) as caught:
        models.compare_versions(core, sms, active_version, other)
    assert caught.value.code == "comparison_not_stored"
    assert f"no comparison of version {other} with version {active_version}" in caught.value.message
    assert "a maintainer can compute one with fresh=true" in caught.value.message

    # Scoring would need the artifacts; without fresh nothing reads them.
    registry._artifact(registry.get(active_version)).unlink()
    with pytest.raises(Conflict) as fresh:
        models.compare_versions(core, sms, active_version, other, fresh=True)
    assert fresh.value.code == "cannot_compare" and "is missing" in fresh.value.message
    with pytest.raises(NotFound, match="no comparison"):
        models.compare_versions(core, sms, active_version, other)

    # What a retraining stores is served as stored, for that pair only.
    stored = {"a_id": active_version, "b_id": other, "metrics": {}, "changed": [], "eval_rows": 3}
    with core.store.transaction() as session:
        session.get(ModelVersion, other).comparison = stored
    found = models.compare_versions(core, sms, active_version, other)
    assert found["stored"] is True and found["eval_rows"] == 3
    assert (found["a"]["id"], found["b"]["id"]) == (active_version, other)
    with pytest.raises(NotFound, match=f"version {active_version} stores none"):
        models.compare_versions(core, sms, other, active_version)
