"""Map a linear model's decision scores to calibrated class probabilities.

Binary: Platt scaling, p(second class) = sigmoid(a * s + b). Multi-class: vector scaling
(Guo et al., 2017), p = softmax(a_k * s_k + b_k) over the one-vs-rest scores. Both are fitted
by (weighted) log loss on *out-of-fold* scores — scores of texts the model did not train
on — because in-sample scores of a high-dimensional linear model are overconfident.
Targets are smoothed as in Platt (1999): the true class gets (N_k + 1) / (N_k + 2), which
keeps a and b finite when the out-of-fold scores separate the classes perfectly.

On large data the calibrator is fitted on a fixed random sample of ``MAX_ROWS`` rows: it has
two parameters per score, which 20,000 rows pin down, and the fit costs a full pass over its
rows per iteration. Scores are standardised for the optimiser (naive Bayes log-likelihoods
run into the hundreds) and the scale is folded back into ``a``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, log_softmax, softmax
from threadpoolctl import threadpool_limits

MAX_ROWS = 20_000


def _targets(y: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    hit = (counts + 1.0) / (counts + 2.0)
    targets = np.empty((len(y), n_classes))
    targets[:] = ((1.0 - hit[y]) / (n_classes - 1))[:, None]
    targets[np.arange(len(y)), y] = hit[y]
    return targets


def _logits(params: np.ndarray, scores: np.ndarray, n_classes: int) -> np.ndarray:
    m = scores.shape[1]
    z = scores * params[:m] + params[m:]
    # A binary model has one score (for the second class); the first class's logit is 0.
    return np.hstack([np.zeros((len(z), 1)), z]) if n_classes == 2 else z


def fit_calibrator(
    scores: np.ndarray, y: np.ndarray, n_classes: int, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fit (a, b), each of length ``scores.shape[1]``; ``y`` holds class indices."""
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)
    m = scores.shape[1]
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    if len(y) > MAX_ROWS:
        pick = np.sort(np.random.default_rng(0).choice(len(y), MAX_ROWS, replace=False))
        scores, y, weights = scores[pick], y[pick], weights[pick]
    scale = scores.std(axis=0)
    scale[~(scale > 0)] = 1.0
    scores = scores / scale
    weights = weights / weights.sum()
    targets = _targets(y, n_classes)

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        logp = log_softmax(_logits(params, scores, n_classes), axis=1)
        value = -float((weights[:, None] * targets * logp).sum())
        resid = weights[:, None] * (np.exp(logp) - targets)  # d loss / d logits
        if n_classes == 2:
            resid = resid[:, 1:]
        grad = np.concatenate([(resid * scores).sum(axis=0), resid.sum(axis=0)])
        return value, grad

    start = np.concatenate([np.ones(m), np.zeros(m)])
    # One BLAS thread: the optimiser's tiny vector operations cost milliseconds each when
    # a BLAS thread pool wakes up for them on a busy machine (measured: 12 ms per step).
    from scipy.optimize import minimize

    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(loss, start, jac=True, method="L-BFGS-B")
    return result.x[:m] / scale, result.x[m:].copy()


def apply_calibrator(scores: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Probabilities, shape (n, n_classes), from scores of shape (n, len(a))."""
    z = np.asarray(scores, dtype=np.float64) * a + b
    if z.shape[1] == 1:
        p1 = expit(z[:, 0])
        return np.column_stack([1.0 - p1, p1])
    return softmax(z, axis=1)


def apply_calibrator_one(scores: list[float], a: list[float], b: list[float]) -> list[float]:
    """``apply_calibrator`` for one row, in plain Python (no per-call numpy overhead)."""
    if len(scores) == 1:
        z = scores[0] * a[0] + b[0]
        # The same branch-free formula as scipy's expit would lose precision for large |z|.
        p1 = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
        return [1.0 - p1, p1]
    logits = [s * ai + bi for s, ai, bi in zip(scores, a, b, strict=True)]
    top = max(logits)
    e = [math.exp(v - top) for v in logits]
    total = sum(e)
    return [v / total for v in e]
