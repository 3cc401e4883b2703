"""Evaluation metrics for a classifier's probabilities, as plain JSON-ready values.

Everything returned is a Python ``int``/``float``/``None``/``list``/``dict``: the result goes
straight into the registry and the API, and ``json.dumps`` rejects numpy types and writes NaN
as an invalid token. Undefined values (e.g. precision of a class never predicted) are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

ECE_BINS = 15


def _float(value: float | np.floating[Any]) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _roc_auc(truth: np.ndarray, proba: np.ndarray, present: np.ndarray) -> float | None:
    """Binary: AUC of the second class. Multi-class: macro one-vs-rest over present classes."""
    if present.sum() < 2:
        return None
    from sklearn.metrics import roc_auc_score

    if proba.shape[1] == 2:
        return _float(roc_auc_score(truth == 1, proba[:, 1]))
    scores = [roc_auc_score(truth == k, proba[:, k]) for k in np.flatnonzero(present)]
    return _float(np.mean(scores))


def _mcc(matrix: np.ndarray) -> float | None:
    """Matthews correlation (Gorodkin's multi-class form), 0 when undefined as in sklearn."""
    n = matrix.sum()
    if n == 0:
        return None
    true, pred = matrix.sum(axis=1).astype(float), matrix.sum(axis=0).astype(float)
    cov = float(np.trace(matrix)) * n - true @ pred
    den = math.sqrt((n * n - pred @ pred) * (n * n - true @ true))
    return _float(cov / den) if den else 0.0


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> dict:
    """Equal-width bins of top-class confidence: mean confidence and accuracy in each."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin i holds (edges[i], edges[i+1]]; a confidence of exactly 0 cannot occur for a top class.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    out: dict[str, list[Any]] = {"bins": [], "confidence": [], "accuracy": [], "count": []}
    for i in range(bins):
        mask = which == i
        count = int(mask.sum())
        out["bins"].append(float(edges[i + 1]))
        out["count"].append(count)
        out["confidence"].append(_float(confidence[mask].mean()) if count else None)
        out["accuracy"].append(_float(correct[mask].mean()) if count else None)
    return out


def expected_calibration_error(rel: dict) -> float | None:
    total = sum(rel["count"])
    if not total:
        return None
    gaps = [
        count * abs(conf - acc)
        for count, conf, acc in zip(rel["count"], rel["confidence"], rel["accuracy"], strict=True)
        if count
    ]
    return _float(sum(gaps) / total)


def compute_metrics(
    y_true: Sequence[str],
    proba: np.ndarray,
    classes: list[str],
    *,
    y_pred: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Scores of ``proba`` (columns follow ``classes``) against the true labels.

    Predictions are the argmax of ``proba`` unless ``y_pred`` gives the labels the model's
    decision rule actually chose; calibration figures (ECE, reliability) always use the
    top-class probability. ``per_class[c]["false_positive_rate"]`` is the share of messages
    *not* of class ``c`` that were predicted as ``c`` (for spam: ham wrongly flagged).
    """
    proba = np.asarray(proba, dtype=np.float64)
    n, k = len(y_true), len(classes)
    if proba.shape != (n, k):
        raise ValueError(f"proba has shape {proba.shape}, expected ({n}, {k})")
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted(set(y_true) - index.keys())
    if unknown:
        raise ValueError(f"labels not among the model's classes: {unknown}")
    truth = np.array([index[c] for c in y_true], dtype=np.int64)
    top = proba.argmax(axis=1)
    pred = top if y_pred is None else np.array([index[c] for c in y_pred], dtype=np.int64)

    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (truth, pred), 1)
    per_class: dict[str, dict[str, Any]] = {}
    f1s = []
    for i, label in enumerate(classes):
        tp = int(matrix[i, i])
        fp = int(matrix[:, i].sum()) - tp
        fn = int(matrix[i, :].sum()) - tp
        tn = n - tp - fp - fn
        f1 = _ratio(2 * tp, 2 * tp + fp + fn)
        if f1 is not None:
            f1s.append(f1)
        per_class[label] = {
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "f1": f1,
            "support": tp + fn,
            "false_positive_rate": _ratio(fp, fp + tn),
        }

    onehot = np.eye(k)[truth]
    eps = np.finfo(np.float64).eps
    p_true = np.clip(proba[np.arange(n), truth], eps, 1.0)
    # Brier: squared error summed over classes; halved for two classes so the binary figure
    # is the familiar (p_positive - y)^2 (scikit-learn's convention).
    brier = ((proba - onehot) ** 2).sum(axis=1).mean() / (2 if k == 2 else 1) if n else None
    rel = reliability(proba.max(axis=1), top == truth)
    present = np.bincount(truth, minlength=k) > 0
    return {
        "n": n,
        "accuracy": _float((pred == truth).mean()) if n else None,
        "macro_f1": _float(np.mean(f1s)) if f1s else None,
        "mcc": _mcc(matrix),
        "roc_auc": _roc_auc(truth, proba, present),
        "ece": expected_calibration_error(rel),
        "log_loss": _float(-np.log(p_true).mean()) if n else None,
        "brier": None if brier is None else _float(brier),
        "per_class": per_class,
        "confusion_matrix": {"labels": list(classes), "matrix": matrix.tolist()},
        "reliability": rel,
    }
