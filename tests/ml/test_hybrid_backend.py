"""The sentence-embedding hybrid backend (extra ``flair``): offline, pickle-free, selectable."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pytest

from tagloop.ml.backends.auto import hybrid_installed
from tagloop.ml.datasets import Dataset

if TYPE_CHECKING:
    from tagloop.ml.backends.hybrid import HybridBackend

# One worker fits the module's hybrid once, the worker that runs the Flair tests (the group
# is shared): torch and transformers take seconds of CPU to import, paid once.
pytestmark = [pytest.mark.flair, pytest.mark.xdist_group("torch")]

# Looked up, not imported: every xdist worker collects this module, and only the one that
# runs it should pay for torch. The tests import the backend where they use it.
if not hybrid_installed():  # pragma: no cover - depends on the install
    pytest.skip("the flair extra is not installed", allow_module_level=True)

ROWS = 250


@pytest.fixture(autouse=True)
def auto_as_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite leaves the hybrid out of ``auto`` (tests/conftest.py); here it is in, as on
    any install with the extra."""
    monkeypatch.delenv("TAGLOOP_AUTO_CANDIDATES", raising=False)


@pytest.fixture(scope="module")
def small(sms: Dataset) -> Dataset:
    return Dataset.from_rows(sms.texts[:ROWS], sms.labels[:ROWS], "sms-small")


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the sentence encoder is given during the test, in order."""
    from tagloop.ml.backends import hybrid as module

    texts: list[str] = []
    real_embed = module.embed

    def counting_embed(batch):  # type: ignore[no-untyped-def]
        texts.extend(batch)
        return real_embed(batch)

    monkeypatch.setattr(module, "embed", counting_embed)
    return texts


@pytest.fixture(scope="module")
def hybrid(small: Dataset) -> HybridBackend:
    from tagloop.ml.backends.hybrid import HybridBackend

    return HybridBackend().fit(small.texts, small.labels)


def test_the_encoder_comes_from_the_installed_package_offline(hybrid) -> None:
    from tagloop.ml.backends.hybrid import DIMENSIONS, HybridBackend

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert hybrid.embedding_coef_.shape == (1, DIMENSIONS)
    # The embedding carries weight: the same text scores differently without it.
    text = "Congratulations, you have been selected for a free holiday, reply YES"
    words_only = super(HybridBackend, hybrid).decision_function([text])[0, 0]
    assert hybrid.decision_function([text])[0, 0] != pytest.approx(words_only)


def test_round_trip_without_pickle_is_exact(hybrid, tmp_path) -> None:
    from tagloop.ml.backends.hybrid import DIMENSIONS, HybridBackend

    path = tmp_path / "hybrid.npz"
    hybrid.save(path)
    with np.load(path, allow_pickle=False) as arrays:
        assert arrays["coef"].shape[1] == len(hybrid.scorers_[0].terms) + DIMENSIONS
    loaded = HybridBackend.load(path)
    texts = ["URGENT! call 09061701461 to claim your prize", "I'll be late, sorry", "ok"]
    np.testing.assert_allclose(loaded.predict_proba(texts), hybrid.predict_proba(texts), atol=1e-6)
    np.testing.assert_allclose(
        loaded.predict_proba_one(texts[0]), hybrid.predict_proba(texts)[0], atol=1e-6
    )
    assert loaded.predict_proba(texts).argmax(axis=1).tolist() == [1, 0, 0]


def test_auto_can_select_among_it_and_the_linear_candidates(small: Dataset, encoded) -> None:
    from tagloop.ml.backends.auto import AutoBackend

    model = AutoBackend(candidates=["cnb-word", "hybrid"]).fit(small.texts, small.labels)
    board = {e["candidate"]: e for e in model.selection_["leaderboard"]}
    assert board["hybrid"]["status"] == "scored" and board["hybrid"]["macro_f1"] > 0.8
    assert board["hybrid"]["estimated_seconds"] >= 0
    # The texts its estimate encoded as a sample are not encoded again for the folds.
    assert sorted(encoded) == sorted(set(small.texts))


def test_auto_considers_it_by_default_when_installed() -> None:
    from tagloop.ml.backends.auto import AutoBackend, default_candidates

    assert default_candidates()[-1] == "hybrid"
    assert AutoBackend.candidate_names() == default_candidates()


def test_auto_skips_it_with_its_estimate_when_it_cannot_fit_the_budget(sms: Dataset) -> None:
    """1,500 texts to encode (a few ms each at best) cannot fit in the ~2.5 s that naive
    Bayes (a fraction of a second here) leaves of a 3 s budget."""
    from tagloop.ml.backends.auto import AutoBackend

    texts, labels = sms.texts[:1500], sms.labels[:1500]
    model = AutoBackend(candidates=["cnb-word", "hybrid"], budget=3.0).fit(texts, labels)
    board = {e["candidate"]: e for e in model.selection_["leaderboard"]}
    hybrid = board["hybrid"]
    assert hybrid["status"] == "skipped"
    assert hybrid["reason"].startswith(f"estimated {hybrid['estimated_seconds']:.0f} s > ")
    assert "left of the budget 3 s" in hybrid["reason"]
    assert model.selection_["winner"]["candidate"] == "cnb-word"


def test_each_distinct_text_is_encoded_once_for_all_folds_and_the_refit(encoded) -> None:
    from tagloop.ml.backends.hybrid import HybridBackend

    texts = [f"free prize {i} call now" for i in range(20)] + [f"see you at {i}" for i in range(20)]
    texts += texts[:10]  # repeats
    labels = ["spam"] * 20 + ["ham"] * 20 + ["spam"] * 10
    model = HybridBackend().fit(texts, labels)
    assert sorted(encoded) == sorted(set(texts))  # 40 distinct texts, once each, for 5 folds
    assert model.predict(["free prize 3 call now", "see you at 7"]) == ["spam", "ham"]
