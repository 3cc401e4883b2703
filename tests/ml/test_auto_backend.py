"""Model selection, the linear candidates, cross-validated training and costs, on real data."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from tagloop.ml.backends import available_backends, get_backend
from tagloop.ml.backends.auto import DEFAULT_CANDIDATES, AutoBackend, default_candidates
from tagloop.ml.backends.budget import Budget, OverBudget
from tagloop.ml.backends.linear_text import LinearTextBackend
from tagloop.ml.backends.sklearn import SklearnBackend
from tagloop.ml.datasets import Dataset
from tagloop.ml.train import parse_costs, train_model

ROWS = 1500


@pytest.fixture(scope="module")
def small(sms: Dataset) -> Dataset:
    return Dataset.from_rows(sms.texts[:ROWS], sms.labels[:ROWS], "sms-small")


@pytest.fixture(scope="module")
def auto_result(small: Dataset):  # type: ignore[no-untyped-def]
    """``auto`` over the n-gram candidates (the hybrid's part is in test_hybrid_backend.py)."""
    return train_model(small, backend="auto", params={"candidates": list(DEFAULT_CANDIDATES)})


def test_auto_and_linear_are_registered_like_any_plugin() -> None:
    assert {"auto", "linear", "sklearn"} <= set(available_backends())
    assert get_backend("auto") is AutoBackend and get_backend("linear") is LinearTextBackend


def test_auto_picks_the_candidate_with_the_best_cross_validated_macro_f1(auto_result) -> None:
    selection = auto_result.metrics["selection"]
    board = selection["leaderboard"]
    assert [e["candidate"] for e in board if e["status"] == "scored"] != []
    assert {e["candidate"] for e in board} == set(DEFAULT_CANDIDATES)
    scored = [e for e in board if e["status"] == "scored"]
    best = max(scored, key=lambda e: e["macro_f1"])
    assert selection["winner"]["candidate"] == best["candidate"]
    assert [e["candidate"] for e in board if e.get("selected")] == [best["candidate"]]
    # The version's own figures are the winner's cross-validated ones.
    assert auto_result.metrics["macro_f1"] == pytest.approx(best["macro_f1"])
    assert all(e["seconds"] > 0 for e in scored)


def test_an_auto_artifact_loads_as_the_winner_and_predicts_the_same(auto_result, tmp_path):
    model = auto_result.model
    path = tmp_path / "auto.npz"
    model.save(path)
    loaded = AutoBackend.load(path)
    winner = auto_result.metrics["selection"]["winner"]
    assert loaded.name == winner["backend"] and loaded.get_params() == winner["params"]
    texts = ["WINNER!! Claim your £1000 prize now", "see you at 6", "ok"]
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    for text in texts:
        np.testing.assert_allclose(
            loaded.predict_proba_one(text), model.predict_proba(texts)[texts.index(text)], atol=1e-9
        )
    assert loaded.explain(texts[0])[0].token in texts[0]


def test_training_cross_validates_then_fits_every_row(small: Dataset) -> None:
    result = train_model(small, backend="linear", params={"features": "word", "model": "cnb"})
    cv = result.metrics["cv"]
    assert cv["folds"] == 5 and sum(cv["fold_rows"]) == ROWS == result.metrics["n"]
    assert 0 < cv["sd"]["accuracy"] < 0.05
    assert abs(cv["mean"]["accuracy"] - result.metrics["accuracy"]) < 0.01
    assert result.eval_split["method"] == "cross-validation"
    # Fitted on all rows: every word of every text (min_df=1) is in the vocabulary; a fit on
    # 80% would miss the words that only the other 20% use.
    vocabulary = set(result.model.scorer_.terms)
    tokens = TfidfVectorizer().build_analyzer()
    assert all(set(tokens(t)) <= vocabulary for t in small.texts)


def test_a_tiny_budget_skips_later_candidates_and_says_so(small: Dataset) -> None:
    model = AutoBackend(budget=0.01).fit(small.texts, small.labels)
    selection = model.selection_
    board = selection["leaderboard"]
    scored = [e for e in board if e["status"] == "scored"]
    skipped = [e for e in board if e["status"] == "skipped"]
    assert [e["candidate"] for e in scored] == [DEFAULT_CANDIDATES[0]]  # the first always runs
    assert {e["candidate"] for e in skipped} == set(default_candidates()[1:])
    # The budget covers the refit: what was kept for it is named in every reason.
    assert all(
        e["reason"].startswith("budget spent")
        and "kept for fitting cnb-word on all rows" in e["reason"]
        for e in skipped
    )
    assert selection["final_fit_estimate_seconds"] == scored[0]["refit_estimate_seconds"] > 0
    assert (
        selection["total_seconds"]
        >= selection["selection_seconds"] + selection["final_fit_seconds"] - 0.01
    )


def test_the_budget_keeps_the_best_candidates_refit_in_reserve() -> None:
    budget = Budget(10.0, folds=5)
    assert budget.why_not_start() is None
    budget.keep_for("svm-word", 4.0)  # a fold on 4/5 of the rows took 4 s: the refit ~5 s
    assert budget.reserve == pytest.approx(5.0)
    assert budget.why_not_start() is None  # ~5 s left after the reserve
    budget.keep_for("svm-word+char", 8.0)  # now 10 s must be kept: nothing may start
    assert "kept for fitting svm-word+char on all rows" in (budget.why_not_start() or "")
    reason = budget.why_not_estimated(140.0)
    assert reason is not None and reason.startswith("estimated 140 s > 0 s left of the budget 10 s")


def test_a_later_candidate_stops_when_its_folds_and_the_refit_would_overrun() -> None:
    budget = Budget(10.0, folds=5)
    now = budget.started
    budget.check_fold(1, now - 1.0)  # 1 s a fold: 4 s more + 1.25 s refit, ends ~6 s: fine
    budget.keep_for("cnb-word", 4.0)  # 5 s kept for the best's refit
    # 1.5 s a fold: 6 s more, then the larger refit (the reserve, 5 s): ~11 s > 10 s.
    with pytest.raises(OverBudget, match="stopped after 1 of 5 folds: 6 s more and 5 s for"):
        budget.check_fold(1, now - 1.5)


def test_the_word_block_matches_scikit_learn_and_explanations_add_up(sms: Dataset) -> None:
    texts, labels = sms.texts[:800], sms.labels[:800]
    model = LinearTextBackend(features="word+char").fit(texts, labels)
    word = model.scorers_[0]
    assert word.analyzer == "word"
    reference = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    probe = [*sms.texts[800:900], "Don't  stop-me now!!", "ÉCOLE école", "a", ""]
    order = [reference.vocabulary_[t] for t in word.terms]
    assert abs(word.transform(probe) - reference.transform(probe)[:, order]).max() < 1e-12
    for text in [*probe[:20], "call call now now now, FREE free"]:
        np.testing.assert_allclose(
            model.predict_proba_one(text), model.predict_proba([text])[0], atol=1e-9
        )
        for label in model.classes_:
            total = sum(c.weight for c in model.explain(text, label, top_k=None))
            score = model.decision_function([text])[0, 0]
            score = score if label == model.classes_[1] else -score
            assert total + model.intercept(label) == pytest.approx(score, abs=1e-9)


@pytest.mark.parametrize("kind", ["cnb", "svm"])
def test_multiclass_candidates_round_trip(tmp_path, kind: str) -> None:
    rng = np.random.default_rng(0)
    topics = {
        "food": "pasta bread cheese soup salad",
        "sport": "goal match team score league",
        "tech": "laptop code server phone chip",
    }
    labels = [str(rng.choice(list(topics))) for _ in range(300)]
    texts = [
        " ".join(rng.choice(topics[y].split(), size=4)) + f" n{i}" for i, y in enumerate(labels)
    ]
    model = LinearTextBackend(features="word+char", model=kind).fit(texts, labels)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = LinearTextBackend.load(path)
    probe = ["cheese soup tonight", "the team scored a goal", "new chip in my phone"]
    np.testing.assert_allclose(loaded.predict_proba(probe), model.predict_proba(probe))
    assert [loaded.classes_[i] for i in loaded.predict_proba(probe).argmax(1)] == [
        "food",
        "sport",
        "tech",
    ]


def test_the_one_message_path_stays_fast(auto_result) -> None:
    model = auto_result.model
    text = "Hey, are we still meeting at the station at 6? Let me know if you're late"
    model.predict_proba_one(text)
    started = time.perf_counter()
    for _ in range(200):
        model.predict_proba_one(text)
    assert (time.perf_counter() - started) / 200 < 0.002  # 2 ms: a loose bound for busy CI


def test_a_cost_names_a_real_label_or_is_refused(small: Dataset) -> None:
    with pytest.raises(ValueError, match="'legit' that the data does not have"):
        train_model(small, backend="sklearn", costs={"legit": 2.0})
    with pytest.raises(ValueError, match="does not have"):
        SklearnBackend(class_weight={"legit": 2.0}).fit(small.texts, small.labels)
    with pytest.raises(ValueError, match="positive WEIGHT"):
        parse_costs(["ham=0"])
    assert parse_costs(["ham=2", "a=b=3"]) == {"ham": 2.0, "a=b": 3.0}


def _false_positives(metrics: dict, protected: str) -> int:  # type: ignore[type-arg]
    cm = metrics["confusion_matrix"]
    i = cm["labels"].index(protected)
    return sum(cm["matrix"][i]) - cm["matrix"][i][i]


def test_a_cost_protects_its_label_whatever_the_label_is_called(sms: Dataset) -> None:
    texts, labels = sms.texts[:2500], sms.labels[:2500]
    plain = train_model(Dataset.from_rows(texts, labels, "a"), backend="sklearn")
    costly = train_model(Dataset.from_rows(texts, labels, "a"), backend="sklearn", costs={"ham": 4})
    renamed = ["legit" if y == "ham" else y for y in labels]
    legit = train_model(
        Dataset.from_rows(texts, renamed, "b"), backend="sklearn", costs={"legit": 4}
    )
    assert costly.model.get_params()["class_weight"] == {"ham": 4.0}
    # Cross-validated: fewer ham messages flagged when an error on ham costs more ...
    assert _false_positives(costly.metrics, "ham") < _false_positives(plain.metrics, "ham")
    # ... and exactly as many when the same label is called "legit".
    assert _false_positives(legit.metrics, "legit") == _false_positives(costly.metrics, "ham")


def test_on_large_data_a_later_candidate_is_estimated_before_it_starts(
    small: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its vectorisation and first fold cannot be stopped: past ESTIMATE_FROM_ROWS (lowered
    here to keep the test quick) a sample's cost, scaled up, decides whether it starts."""
    from tagloop.ml.backends import auto

    monkeypatch.setattr(auto, "ESTIMATE_FROM_ROWS", ROWS)
    model = AutoBackend(candidates=["cnb-word", "svm-word+char"], budget=1e6)
    model.fit(small.texts, small.labels)
    board = {e["candidate"]: e for e in model.selection_["leaderboard"]}
    assert "estimated_seconds" not in board["cnb-word"]  # the first always runs
    later = board["svm-word+char"]
    assert later["status"] == "scored" and later["estimated_seconds"] > 0

    tight = AutoBackend(candidates=["cnb-word", "svm-word+char"], budget=1e-3)
    tight.fit(small.texts, small.labels)
    [skipped] = [e for e in tight.selection_["leaderboard"] if e["status"] == "skipped"]
    assert skipped["reason"].startswith("budget spent")  # nothing left: not even estimated
    assert "estimated_seconds" not in skipped


def test_the_server_wide_candidate_list_replaces_the_default(monkeypatch) -> None:
    monkeypatch.setenv("TAGLOOP_AUTO_CANDIDATES", " svm-word , cnb-word ")
    assert default_candidates() == ["svm-word", "cnb-word"]
    assert AutoBackend.candidate_names() == ["svm-word", "cnb-word"]
    monkeypatch.setenv("TAGLOOP_AUTO_CANDIDATES", "svm-word,bert")
    with pytest.raises(ValueError, match="unknown candidates bert"):
        default_candidates()
    monkeypatch.delenv("TAGLOOP_AUTO_CANDIDATES")
    assert default_candidates()[: len(DEFAULT_CANDIDATES)] == list(DEFAULT_CANDIDATES)
