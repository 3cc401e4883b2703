"""How good a model the labels so far make: cross-validated accuracy and macro-F1 of the
default backend trained on the first n labels, for a few n up to all of them.

Each point is a k-fold cross-validation (duplicates kept in one fold, ``ml.split``) on the
labels in the order they were given, so the curve answers "what did the last labels buy?".
Labels with fewer than ``k`` examples at a point are left out of it (they cannot be in every
fold); a point needs two labels that can.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from tagloop.ml.backends.sklearn import SklearnBackend
from tagloop.ml.split import cross_validation_folds

FOLDS = 3
MIN_POINT = 16


def points(total: int, most: int = 6) -> list[int]:
    """Label counts to score: doubling from ``MIN_POINT``, the last always ``total``."""
    out: list[int] = []
    n = MIN_POINT
    while n < total:
        out.append(n)
        n *= 2
    out.append(total)
    return out[-most:] if total >= MIN_POINT else []


def cross_validated(texts: Sequence[str], labels: Sequence[str], seed: int = 0) -> dict[str, Any]:
    counts = Counter(labels)
    keep = [i for i, y in enumerate(labels) if counts[y] >= FOLDS]
    if len({labels[i] for i in keep}) < 2:
        return {"labels": len(labels), "accuracy": None, "macro_f1": None}
    x = [texts[i] for i in keep]
    y = np.array([labels[i] for i in keep])
    predicted = np.empty(len(keep), dtype=object)
    for train, test in cross_validation_folds(x, list(y), k=FOLDS, seed=seed):
        model = SklearnBackend(seed=seed).fit([x[i] for i in train], list(y[train]))
        predicted[test] = model.predict([x[i] for i in test])
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "labels": len(labels),
        "accuracy": float(accuracy_score(y, predicted)),
        "macro_f1": float(f1_score(y, predicted, average="macro")),
    }


def learning_curve(texts: Sequence[str], labels: Sequence[str]) -> list[dict[str, Any]]:
    """One point per ``points(len(labels))``, each with its change from the previous one."""
    curve: list[dict[str, Any]] = []
    for n in points(len(texts)):
        point = cross_validated(texts[:n], labels[:n])
        last = curve[-1] if curve else None
        point["accuracy_change"] = (
            None
            if last is None or last["accuracy"] is None or point["accuracy"] is None
            else point["accuracy"] - last["accuracy"]
        )
        curve.append(point)
    return curve
