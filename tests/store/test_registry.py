"""The model registry on SQLite and PostgreSQL: versions, activation history, integrity."""

from __future__ import annotations

import numpy as np
import pytest

from tagloop.ml.registry import Conflict, IntegrityError, NotFound, Registry, describe

TEXTS = ["Free entry in 2 a wkly comp to win FA Cup final tkts", "Ok lar... Joking wif u oni..."]


def register(registry: Registry, trained) -> int:  # type: ignore[no-untyped-def]
    return registry.register(trained.model, **trained.registry_metadata()).id


def test_a_version_records_everything(registry: Registry, trained) -> None:  # type: ignore[no-untyped-def]
    row = registry.get(register(registry, trained))
    data = describe(row)
    assert data["data"] == {
        "source": trained.dataset.source,
        "sha256": trained.dataset.sha256,
        "rows": 4456,
    }
    assert data["labels"] == ["ham", "spam"]
    assert data["params"]["seed"] == 0
    assert set(data["metrics"]) >= {"accuracy", "macro_f1", "mcc", "roc_auc", "ece", "per_class"}
    assert data["artifact"]["bytes"] == (registry.home / row.artifact_path).stat().st_size
    assert {"python", "numpy", "scikit-learn", "tagloop"} <= set(data["library_versions"])


def test_save_load_gives_the_same_predictions(registry: Registry, trained) -> None:  # type: ignore[no-untyped-def]
    loaded = registry.load(registry.get(register(registry, trained)))
    np.testing.assert_allclose(loaded.predict_proba(TEXTS), trained.model.predict_proba(TEXTS))


def test_exactly_one_active_and_rollback_walks_back(registry: Registry, trained) -> None:  # type: ignore[no-untyped-def]
    a, b, c = (register(registry, trained) for _ in range(3))
    assert registry.active_id() is None
    with pytest.raises(Conflict):
        registry.rollback()
    for version in (a, b, c):
        registry.activate(version, actor="me", reason=f"try {version}")
    assert registry.active_id() == c
    assert registry.rollback(actor="me").model_id == b
    assert registry.rollback().model_id == a
    with pytest.raises(Conflict):
        registry.rollback()
    actions = [(h.action, h.model_id, h.previous_model_id) for h in registry.history()]
    assert actions[:3] == [("rollback", a, b), ("rollback", b, c), ("activate", c, b)]


def test_the_active_version_cannot_be_deleted(registry: Registry, trained) -> None:  # type: ignore[no-untyped-def]
    a, b = register(registry, trained), register(registry, trained)
    registry.activate(a)
    with pytest.raises(Conflict):
        registry.delete(a)
    path = registry.home / registry.get(b).artifact_path
    registry.delete(b)
    with pytest.raises(NotFound):
        registry.get(b)
    # a and b share one content-addressed artifact: it stays while a needs it
    assert path.exists()
    with pytest.raises(NotFound):
        registry.activate(b)


def test_a_tampered_artifact_is_refused(registry: Registry, trained) -> None:  # type: ignore[no-untyped-def]
    row = registry.get(register(registry, trained))
    path = registry.home / row.artifact_path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="refusing to load a changed file"):
        registry.load(row)


def test_an_artifact_outside_the_home_is_refused(registry: Registry, trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    row = registry.get(register(registry, trained))
    row.artifact_path = "../../etc/passwd"
    with pytest.raises(IntegrityError, match="outside"):
        registry.load(row)


def test_a_missing_artifact_is_reported(registry: Registry, trained) -> None:  # type: ignore[no-untyped-def]
    row = registry.get(register(registry, trained))
    (registry.home / row.artifact_path).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        registry.load(row)
