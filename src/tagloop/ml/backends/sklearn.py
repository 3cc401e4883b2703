"""The character n-gram ridge: TF-IDF of 2-5 characters inside words, calibrated scores.

Why this model (cross-validated figures and the command that produced them: docs/model.md):

* ``char_wb`` n-grams cope with SMS spelling ("txt", "2nite", "FREE!!"), phone numbers and
  prices better than word tokens on short, noisy messages.
* A ridge classifier (squared loss on +/-1 targets, one-vs-rest) trains in about a second
  on the SMS data. It is one of the candidates of the ``auto`` backend, which picks between
  it and others by cross-validation (``auto.py``).
* Probabilities come from Platt / vector scaling fitted on out-of-fold scores (see
  ``calibration.py`` and ``linear_text.py``).
* ``class_weight`` says how much an error on each class costs (``tagloop train --cost``):
  the loss and the calibrator are both fitted with those weights, so the plain argmax of the
  probabilities is the cost-sensitive decision. By default every class weighs 1: the library
  names no label.

Scoring runs on ``LinearScorer`` (plain arrays), both for batches and for the one-message
fast path, so saved and in-memory models give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from tagloop.ml.backends.linear_text import Block, LinearTextBackend

if TYPE_CHECKING:
    from sklearn.linear_model import RidgeClassifier


class SklearnBackend(LinearTextBackend):
    name: ClassVar[str] = "sklearn"

    def __init__(
        self,
        *,
        seed: int = 0,
        ngram_range: Sequence[int] = (2, 5),
        alpha: float = 1.0,
        class_weight: Mapping[str, float] | None = None,
        calibration_folds: int = 5,
        min_df: int = 1,
    ) -> None:
        super().__init__(
            seed=seed,
            features="char",
            model="ridge",
            alpha=alpha,
            class_weight=class_weight,
            calibration_folds=calibration_folds,
            min_df=min_df,
        )
        self.ngram_range = ngram_range

    def get_params(self) -> dict[str, Any]:
        grams = list(self.ngram_range)
        if len(grams) != 2 or not 1 <= grams[0] <= grams[1] <= 10:
            raise ValueError(f"ngram_range must be [low, high], 1 <= low <= high <= 10: {grams}")
        self._check_common()
        return {
            "seed": int(self.seed),
            "ngram_range": [int(n) for n in self.ngram_range],
            "alpha": float(self.alpha),
            "class_weight": None if self.class_weight is None else dict(self.class_weight),
            "calibration_folds": int(self.calibration_folds),
            "min_df": int(self.min_df),
        }

    def blocks(self) -> list[Block]:
        low, high = (int(n) for n in self.ngram_range)
        return [("char_wb", (low, high))]

    def estimator(self, rows: int) -> RidgeClassifier:
        from sklearn.linear_model import RidgeClassifier

        return RidgeClassifier(alpha=self.alpha, random_state=self.seed)
