"""Train a backend on all of a data set, with its quality estimated by cross-validation.

``train_model`` splits the rows into k folds that keep duplicate texts together
(``split.cross_validation_folds``, k = ``DEFAULT_FOLDS`` unless asked otherwise), scores every
row with a model that did not train on it, and reports the metrics pooled over those
out-of-fold predictions, with the mean and standard deviation over the folds of every scalar.
The model that is registered is then fitted on every row. Backends that calibrate on folds
(the linear ones) do both from the same k fits (``fit_cv``); any other backend is simply
fitted k + 1 times.

A fixed *comparison set* (a grouped 20% of the rows, chosen by the seed) is recorded too.
The registered model trains on it like on every other row; retraining compares recipes on
it by refitting both without it (see ``compare.py`` and docs/loop.md).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tagloop.ml.backends import get_backend
from tagloop.ml.backends.base import Backend, Progress
from tagloop.ml.datasets import Dataset
from tagloop.ml.metrics import compute_metrics
from tagloop.ml.params import build_backend
from tagloop.ml.split import cross_validation_folds, train_test_split_indices

DEFAULT_FOLDS = 5
DEFAULT_BACKEND = "auto"
COMPARISON_SHARE = 0.2
CV_SCALARS = ("accuracy", "macro_f1", "mcc", "roc_auc", "ece", "log_loss", "brier")


@dataclass
class TrainResult:
    model: Backend
    metrics: dict[str, Any]
    eval_split: dict[str, Any]
    train_seconds: float
    dataset: Dataset
    test_idx: list[int] = field(default_factory=list)

    def registry_metadata(self) -> dict[str, Any]:
        """Keyword arguments for ``Registry.register``; ``dataset`` and ``eval_indices``
        make the registry snapshot the rows (all of them, and the comparison set), so
        retraining can find them later."""
        return {
            "dataset": self.dataset,
            "eval_indices": self.test_idx,
            "data_source": self.dataset.source,
            "data_sha256": self.dataset.sha256,
            "data_rows": self.dataset.rows,
            "eval_split": self.eval_split,
            "metrics": self.metrics,
            "train_seconds": self.train_seconds,
        }


def evaluate_model(model: Backend, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    unknown = sorted(set(labels) - set(model.classes_))
    if unknown:
        raise ValueError(
            f"labels {', '.join(map(repr, unknown))} are not among the model's classes "
            f"({', '.join(model.classes_)})"
        )
    proba = model.predict_proba(list(texts)) if texts else np.zeros((0, len(model.classes_)))
    return compute_metrics(list(labels), proba, list(model.classes_))


def parse_costs(pairs: Sequence[str]) -> dict[str, float]:
    """``["ham=2"]`` -> ``{"ham": 2.0}``: an error on a LABEL message costs WEIGHT times
    as much as on others (``tagloop train --cost``; a project's configuration may set it)."""
    costs: dict[str, float] = {}
    for pair in pairs:
        label, sep, raw = pair.rpartition("=")
        try:
            weight = float(raw)
        except ValueError:
            weight = float("nan")
        if not sep or not label or not weight > 0 or weight == float("inf"):
            raise ValueError(f"a cost is LABEL=WEIGHT with a positive WEIGHT, got {pair!r}")
        costs[label] = weight
    return costs


def check_costs(costs: Mapping[str, float], labels: Sequence[str]) -> None:
    """An unknown label is an error naming it, never a silent no-op."""
    known = sorted(set(labels))
    unknown = sorted(set(costs) - set(known))
    if unknown:
        raise ValueError(
            f"costs name label(s) {', '.join(map(repr, unknown))} that the data does not "
            f"have (labels: {', '.join(known)})"
        )


def cross_validate(
    model: Backend,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    rebuild: Any = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fit ``model`` on every row and return its grouped k-fold metrics.

    ``rebuild()`` makes a fresh unfitted copy for the folds of a backend without ``fit_cv``.
    """
    report = progress or (lambda _stage, _fraction: None)
    texts, labels = list(texts), list(labels)
    splits = cross_validation_folds(texts, labels, folds, seed)
    classes = sorted(set(labels))
    fit_cv = getattr(model, "fit_cv", None)
    if fit_cv is not None:
        proba = fit_cv(texts, labels, splits, progress=report)
    else:
        proba = np.zeros((len(texts), len(classes)))
        for i, (train, held_out) in enumerate(splits):
            report(f"cross-validation fold {i + 1} of {folds}", 0.8 * i / folds)
            fold_model = rebuild()
            fold_model.fit([texts[j] for j in train], [labels[j] for j in train])
            if list(fold_model.classes_) != classes:
                raise ValueError("every class must be present in every training fold")
            proba[held_out] = fold_model.predict_proba([texts[j] for j in held_out])
        report("fitting on all rows", 0.8)
        model.fit(texts, labels)
    return cv_metrics(labels, proba, list(model.classes_), splits)


def cv_metrics(
    labels: Sequence[str], proba: np.ndarray, classes: list[str], splits: Sequence[Any]
) -> dict[str, Any]:
    """Metrics pooled over out-of-fold predictions, plus ``cv``: the folds' mean and sd."""
    pooled = compute_metrics(list(labels), proba, classes)
    per_fold = [
        compute_metrics([labels[j] for j in held_out], proba[held_out], classes)
        for _, held_out in splits
    ]
    mean: dict[str, float | None] = {}
    sd: dict[str, float | None] = {}
    for name in CV_SCALARS:
        values = [m[name] for m in per_fold if m[name] is not None]
        mean[name] = float(np.mean(values)) if values else None
        sd[name] = float(np.std(values, ddof=1)) if len(values) > 1 else None
    pooled["cv"] = {
        "folds": len(splits),
        "grouping": "identical texts (case-insensitive) in one fold",
        "mean": mean,
        "sd": sd,
        "fold_rows": [len(held_out) for _, held_out in splits],
    }
    return pooled


def train_model(
    dataset: Dataset,
    *,
    backend: str = DEFAULT_BACKEND,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    folds: int = DEFAULT_FOLDS,
    costs: Mapping[str, float] | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Cross-validate ``backend`` on ``dataset``, fit it on all rows; ``costs`` become the
    backend's ``class_weight`` (checked against the data's labels first)."""
    if folds < 2:
        raise ValueError(f"need at least 2 folds, got {folds}")
    params = dict(params or {})
    if costs:
        check_costs(costs, dataset.labels)
        params["class_weight"] = dict(costs)
    elif isinstance(params.get("class_weight"), dict):
        check_costs(params["class_weight"], dataset.labels)
    report = progress or (lambda _stage, _fraction: None)
    backend_class = get_backend(backend)
    model = build_backend(backend_class, seed, params)

    def fit_progress(stage: str, fraction: float) -> None:
        report(stage, 0.02 + 0.96 * fraction)

    started = time.perf_counter()
    metrics = cross_validate(
        model,
        dataset.texts,
        dataset.labels,
        folds=folds,
        seed=seed,
        rebuild=lambda: build_backend(backend_class, seed, params),
        progress=fit_progress,
    )
    seconds = time.perf_counter() - started
    selection = getattr(model, "selection_", None)
    if selection is not None:
        metrics["selection"] = selection
    _, comparison_idx = train_test_split_indices(
        dataset.texts, dataset.labels, test_size=COMPARISON_SHARE, seed=seed
    )
    report("done", 1.0)
    split = {
        "method": "cross-validation",
        "folds": folds,
        "seed": seed,
        "train_rows": dataset.rows,
        "test_rows": dataset.rows,
        "grouping": "identical texts (case-insensitive) in one fold",
        "comparison_set": {"share": COMPARISON_SHARE, "rows": len(comparison_idx)},
    }
    return TrainResult(model, metrics, split, seconds, dataset, list(comparison_idx))
