"""Up-front cost estimates for ``auto``'s candidates: a sample's times scaled to every row.

A candidate's vectorisation and first fold cannot be stopped once started, and on large data
they are most of its cost (the character block of 100,000 texts: minutes on a busy machine).
So before a later candidate starts on large data, ``auto`` vectorises a sample of its blocks
that are not vectorised yet and fits its model once on that sample, and scales both times to
all rows: vectorisation once, and k fits of all rows (k - 1 fold fits on (k - 1)/k of them,
then the refit). Linear scaling is rough (the SVM is fitted by SGD above 5,000 rows, linear
in rows; vocabularies grow a little slower than rows): an estimate, not a bound.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagloop.ml.backends.linear_text import Block, LinearTextBackend, stack, vectorize_block

SAMPLE_ROWS = 2_000


def sample(texts: Sequence[str], labels: Sequence[str], size: int, seed: int) -> list[int]:
    """``size`` row indices (all rows if fewer), the same for every candidate of a run."""
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(len(texts), size=min(len(texts), size), replace=False).tolist())


def fit_seconds(
    model: LinearTextBackend, features: sp.csr_matrix, labels: list[str], rows: int
) -> float:
    """Seconds to fit ``model``'s estimator, configured for ``rows`` rows, on ``features``."""
    classes = sorted(set(labels))
    if len(classes) < 2:
        return 0.0
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in labels])
    from sklearn.exceptions import ConvergenceWarning

    estimator: Any = model.estimator(rows)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(features, y, sample_weight=np.ones(len(y)))
    return time.perf_counter() - started


def linear_seconds(
    model: LinearTextBackend,
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int,
    vectorised: Collection[Block],
    seed: int,
) -> float:
    """Estimated seconds to cross-validate and refit an n-gram candidate; blocks already in
    ``vectorised`` cost nothing more."""
    pick = sample(texts, labels, SAMPLE_ROWS, seed)
    texts_s, labels_s = [texts[i] for i in pick], [labels[i] for i in pick]
    matrices, vectorising = [], 0.0
    for block in model.blocks():
        started = time.perf_counter()
        matrix, _ = vectorize_block(block, texts_s, 1, model.max_features)
        if block not in vectorised:
            vectorising += time.perf_counter() - started
        matrices.append(matrix)
    scale = len(texts) / len(pick)
    fitting = fit_seconds(model, stack(matrices), labels_s, len(texts))
    return (vectorising + fitting * folds) * scale
