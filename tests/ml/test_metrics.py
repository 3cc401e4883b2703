import json

import numpy as np
import pytest

from tagloop.ml.metrics import compute_metrics

CLASSES = ["ham", "spam"]


def _plain(value) -> bool:
    """Only JSON-native Python types, all the way down."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (int, float, str, bool)


def test_binary_metrics_match_a_hand_count():
    y = ["ham", "ham", "ham", "spam", "spam"]
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]])
    m = compute_metrics(y, proba, CLASSES)
    assert m["n"] == 5
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["confusion_matrix"] == {"labels": CLASSES, "matrix": [[2, 1], [1, 1]]}
    spam = m["per_class"]["spam"]
    assert spam == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "support": 2,
        "false_positive_rate": pytest.approx(1 / 3),
    }
    # AUC: of the 6 (spam, ham) pairs, spam scores higher in 4 (0.7>all, 0.4>0.1, 0.4>0.2).
    assert m["roc_auc"] == pytest.approx(5 / 6)
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.7, 0.4])))
    assert m["brier"] == pytest.approx(np.mean([0.01, 0.04, 0.36, 0.09, 0.36]))
    assert _plain(m)
    json.dumps(m, allow_nan=False)


@pytest.mark.parametrize("seed", range(3))
def test_mcc_and_macro_f1_agree_with_scikit_learn(seed):
    from sklearn.metrics import f1_score, matthews_corrcoef

    rng = np.random.default_rng(seed)
    classes = ["a", "b", "c"][: 2 + seed % 2]
    y = [classes[i] for i in rng.integers(len(classes), size=200)]
    proba = rng.dirichlet(np.ones(len(classes)), size=200)
    predicted = [classes[i] for i in proba.argmax(axis=1)]
    m = compute_metrics(y, proba, classes)
    assert m["mcc"] == pytest.approx(matthews_corrcoef(y, predicted))
    assert m["macro_f1"] == pytest.approx(f1_score(y, predicted, average="macro"))


def test_expected_calibration_error_and_reliability_bins():
    # Four predictions at 0.9 confidence, three right: one bin, |0.9 - 0.75| = 0.15.
    y = ["spam", "spam", "spam", "ham"]
    proba = np.tile([0.1, 0.9], (4, 1))
    m = compute_metrics(y, proba, CLASSES)
    assert m["ece"] == pytest.approx(0.15)
    rel = m["reliability"]
    assert len(rel["bins"]) == len(rel["count"]) == 15
    assert rel["bins"][-1] == 1.0
    assert sum(rel["count"]) == 4
    filled = [i for i, c in enumerate(rel["count"]) if c]
    assert filled == [13]  # (0.8667, 0.9333]
    assert rel["accuracy"][13] == pytest.approx(0.75)
    assert rel["confidence"][0] is None


def test_undefined_values_are_null_not_nan():
    y = ["ham", "ham"]
    proba = np.array([[0.9, 0.1], [0.7, 0.3]])
    m = compute_metrics(y, proba, CLASSES)
    assert m["roc_auc"] is None
    assert m["per_class"]["spam"]["precision"] is None
    assert m["per_class"]["spam"]["recall"] is None
    json.dumps(m, allow_nan=False)


def test_multiclass_metrics():
    classes = ["a", "b", "c"]
    y = ["a", "b", "c", "c"]
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.5, 0.1, 0.4]])
    m = compute_metrics(y, proba, classes)
    assert m["accuracy"] == 0.75
    assert m["confusion_matrix"]["matrix"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]
    assert m["macro_f1"] == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert 0 < m["roc_auc"] <= 1
    assert m["brier"] == pytest.approx(np.mean([0.06, 0.14, 0.14, 0.25 + 0.01 + 0.36]))
    assert _plain(m)


def test_a_decision_rule_other_than_argmax_can_be_scored():
    y = ["ham", "spam"]
    proba = np.array([[0.4, 0.6], [0.3, 0.7]])
    m = compute_metrics(y, proba, CLASSES, y_pred=["ham", "spam"])
    assert m["accuracy"] == 1.0
    assert m["ece"] == pytest.approx(abs(0.6 - 0.0) / 2 + abs(0.7 - 1.0) / 2)


def test_empty_evaluation_set_gives_nulls():
    m = compute_metrics([], np.zeros((0, 2)), CLASSES)
    assert m["n"] == 0 and m["accuracy"] is None and m["ece"] is None
    json.dumps(m, allow_nan=False)


@pytest.mark.parametrize(
    ("y", "proba", "message"),
    [
        (["ham"], np.zeros((2, 2)), "shape"),
        (["eggs"], np.array([[0.5, 0.5]]), "not among"),
    ],
)
def test_bad_input_is_refused(y, proba, message):
    with pytest.raises(ValueError, match=message):
        compute_metrics(y, proba, CLASSES)
