"""Train a backend on a data set, evaluate it on a held-out split, and register it.

The held-out rows are never trained on: they are the version's evaluation set, and the
retraining loop compares a candidate with the active model on that same set.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tagloop.ml.backends import get_backend
from tagloop.ml.backends.base import Backend, Progress
from tagloop.ml.datasets import Dataset
from tagloop.ml.metrics import compute_metrics
from tagloop.ml.params import build_backend
from tagloop.ml.split import train_test_split_indices


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
        make the registry snapshot the rows, so retraining can find them later."""
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


def train_model(
    dataset: Dataset,
    *,
    backend: str = "sklearn",
    params: dict[str, Any] | None = None,
    seed: int = 0,
    test_size: float = 0.2,
    progress: Progress | None = None,
) -> TrainResult:
    if not 0.0 < test_size < 0.9:
        raise ValueError(f"test size must be between 0 and 0.9, got {test_size}")
    report = progress or (lambda _stage, _fraction: None)
    report("splitting data", 0.0)
    train_idx, test_idx = train_test_split_indices(
        dataset.texts, dataset.labels, test_size=test_size, seed=seed
    )
    texts = [dataset.texts[i] for i in train_idx]
    labels = [dataset.labels[i] for i in train_idx]
    model = build_backend(get_backend(backend), seed, params or {})

    def fit_progress(stage: str, fraction: float) -> None:
        report(stage, 0.05 + 0.85 * fraction)

    started = time.perf_counter()
    model.fit(texts, labels, progress=fit_progress)
    seconds = time.perf_counter() - started
    report("evaluating on held-out split", 0.9)
    metrics = evaluate_model(
        model, [dataset.texts[i] for i in test_idx], [dataset.labels[i] for i in test_idx]
    )
    report("done", 1.0)
    split = {
        "method": "holdout",
        "test_size": test_size,
        "seed": seed,
        "train_rows": len(train_idx),
        "test_rows": len(test_idx),
        "grouping": "identical texts (case-insensitive) on one side",
    }
    return TrainResult(model, metrics, split, seconds, dataset, list(test_idx))
