"""The default backend: character n-gram TF-IDF, a ridge classifier, calibrated scores.

Why this model (cross-validated figures and the command that produced them: docs/model.md):

* ``char_wb`` n-grams (2-5 characters inside each word) cope with SMS spelling ("txt",
  "2nite", "FREE!!"), phone numbers and prices better than word tokens; adding word n-grams
  did not help in cross-validation.
* A ridge classifier (squared loss on +/-1 targets, one-vs-rest) made fewer errors than a
  linear SVM or logistic regression in cross-validation, and trains in about a second.
* Probabilities come from Platt / vector scaling fitted on out-of-fold scores (see
  ``calibration.py``); folds keep duplicate texts together, so calibration sees honest scores.
* ``class_weight`` says how much an error on each class costs. By default a wrongly flagged
  ``ham`` message counts twice: the loss and the calibrator are both fitted with those
  weights, so the probabilities are calibrated for that weighted distribution and the plain
  argmax of them is the cost-sensitive (Bayes) decision. Cross-validation chose 2: it halves
  false positives at no cost in accuracy (docs/model.md).

Scoring runs on ``LinearScorer`` (plain arrays), both for batches and for the one-message
fast path, so saved and in-memory models give the same numbers.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import RidgeClassifier

from tagloop.ml.backends.artifact import read_artifact, write_artifact
from tagloop.ml.backends.base import Contribution, Progress
from tagloop.ml.backends.calibration import apply_calibrator, apply_calibrator_one, fit_calibrator
from tagloop.ml.backends.errors import ArtifactError
from tagloop.ml.backends.linear_scorer import LinearScorer
from tagloop.ml.split import cross_validation_folds, duplicate_groups

DEFAULT_CLASS_WEIGHT: Mapping[str, float] = MappingProxyType({"ham": 2.0})


def _no_progress(stage: str, fraction: float) -> None:
    pass


class SklearnBackend:
    name: ClassVar[str] = "sklearn"

    def __init__(
        self,
        *,
        seed: int = 0,
        ngram_range: Sequence[int] = (2, 5),
        alpha: float = 1.0,
        class_weight: Mapping[str, float] | None = DEFAULT_CLASS_WEIGHT,
        calibration_folds: int = 5,
        min_df: int = 1,
    ) -> None:
        self.seed = seed
        self.ngram_range = ngram_range
        self.alpha = alpha
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.min_df = min_df

    def get_params(self) -> dict[str, Any]:
        grams = list(self.ngram_range)
        if len(grams) != 2 or not 1 <= grams[0] <= grams[1] <= 10:
            raise ValueError(f"ngram_range must be [low, high], 1 <= low <= high <= 10: {grams}")
        if self.alpha <= 0:
            raise ValueError(f"alpha must be positive, got {self.alpha}")
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds must be at least 2, got {self.calibration_folds}")
        if self.min_df < 1:
            raise ValueError(f"min_df must be at least 1, got {self.min_df}")
        if self.class_weight is not None and any(w <= 0 for w in self.class_weight.values()):
            raise ValueError(f"class weights must be positive, got {dict(self.class_weight)}")
        return {
            "seed": int(self.seed),
            "ngram_range": [int(n) for n in self.ngram_range],
            "alpha": float(self.alpha),
            "class_weight": None if self.class_weight is None else dict(self.class_weight),
            "calibration_folds": int(self.calibration_folds),
            "min_df": int(self.min_df),
        }

    # -- training --------------------------------------------------------------------------
    def _ridge(self) -> RidgeClassifier:
        return RidgeClassifier(alpha=self.alpha, random_state=self.seed)

    def _folds(self, texts: Sequence[str], y: np.ndarray) -> int:
        """As many calibration folds as asked for, but no more than the rarest class allows."""
        groups = duplicate_groups(texts)
        fewest = min(len(np.unique(groups[y == k])) for k in np.unique(y))
        if fewest < 2:
            raise ValueError("every class needs at least two distinct texts")
        return min(self.calibration_folds, fewest)

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None
    ) -> SklearnBackend:
        report = progress or _no_progress
        texts, labels = list(texts), list(labels)
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError("need at least two classes")
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[c] for c in labels], dtype=np.int64)
        cost = dict(self.class_weight or {})
        weights = np.array([cost.get(c, 1.0) for c in classes])[y]

        report("vectorising", 0.0)
        low, high = (int(n) for n in self.ngram_range)
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(low, high), sublinear_tf=True, min_df=self.min_df
        )
        # The vocabulary and idf are learnt from all texts once (no labels involved), then
        # shared by the calibration folds: refitting them per fold would multiply the cost.
        features = vectorizer.fit_transform(texts)
        k = self._folds(texts, y)
        oof = np.zeros((len(texts), 1 if len(classes) == 2 else len(classes)))
        folds = cross_validation_folds(texts, labels, k, self.seed)
        for i, (train, held_out) in enumerate(folds):
            report("calibrating", 0.1 + 0.7 * i / k)
            model = self._ridge().fit(features[train], y[train], sample_weight=weights[train])
            oof[held_out] = model.decision_function(features[held_out]).reshape(len(held_out), -1)
        a, b = fit_calibrator(oof, y, len(classes), weights)

        report("fitting final model", 0.8)
        model = self._ridge().fit(features, y, sample_weight=weights)
        terms = [""] * len(vectorizer.vocabulary_)
        for term, j in vectorizer.vocabulary_.items():
            terms[j] = term
        self.classes_ = classes
        self._set_state(terms, vectorizer.idf_, model.coef_, model.intercept_, a, b)
        report("done", 1.0)
        return self

    def _set_state(
        self,
        terms: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
    ) -> None:
        coef = np.atleast_2d(coef)
        low, high = (int(n) for n in self.ngram_range)
        self.scorer_ = LinearScorer(
            terms, idf, coef, np.atleast_1d(intercept), ngram_range=(low, high)
        )
        self.calibration_a_ = np.asarray(a, dtype=np.float64)
        self.calibration_b_ = np.asarray(b, dtype=np.float64)
        self._a_list: list[float] = self.calibration_a_.tolist()
        self._b_list: list[float] = self.calibration_b_.tolist()

    # -- prediction ------------------------------------------------------------------------
    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated scores: one column (second class) if binary, else one per class."""
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, got one string")
        return self.scorer_.decision_function(list(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return apply_calibrator(
            self.decision_function(texts), self.calibration_a_, self.calibration_b_
        )

    def predict_proba_one(self, text: str) -> np.ndarray:
        scores = self.scorer_.decision_one(text)
        return np.array(apply_calibrator_one(scores, self._a_list, self._b_list))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def explain(
        self, text: str, label: str | None = None, top_k: int | None = 10
    ) -> list[Contribution]:
        """Words of ``text`` ranked by their push toward ``label`` (default: predicted class).

        A word's weight is the exact sum, over its character n-grams, of coefficient x tf-idf
        value for the label's score; the weights of all words plus ``intercept(label)`` equal
        that score. For a binary model the score is of the second class; toward the first
        class every sign is flipped. ``top_k=None`` returns every word.
        """
        if label is None:
            label = self.classes_[int(np.argmax(self.predict_proba_one(text)))]
        row, sign = self._score_row(label)
        contributions = [
            Contribution(token=text[start:end], start=start, end=end, weight=sign * weight)
            for start, end, weight in self.scorer_.word_contributions(text, row)
        ]
        contributions.sort(key=lambda c: abs(c.weight), reverse=True)
        return contributions if top_k is None else contributions[:top_k]

    def intercept(self, label: str) -> float:
        """The part of ``label``'s score that no word contributes (see ``explain``)."""
        row, sign = self._score_row(label)
        return sign * float(self.scorer_.intercept[row])

    def _score_row(self, label: str) -> tuple[int, float]:
        if label not in self.classes_:
            raise ValueError(f"unknown label {label!r} (classes: {self.classes_})")
        k = self.classes_.index(label)
        if len(self.classes_) == 2:
            return 0, 1.0 if k == 1 else -1.0
        return k, 1.0

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: Path) -> None:
        header = {
            "backend": self.name,
            "params": self.get_params(),
            "classes": list(self.classes_),
            "versions": {
                lib: importlib.metadata.version(lib) for lib in ("numpy", "scikit-learn", "tagloop")
            },
        }
        s = self.scorer_
        write_artifact(
            path,
            header,
            s.terms,
            idf=s.idf,
            coef=s.coef,
            intercept=s.intercept,
            calibration_a=self.calibration_a_,
            calibration_b=self.calibration_b_,
        )

    @classmethod
    def load(cls, path: Path) -> SklearnBackend:
        header, terms, arrays = read_artifact(path)
        try:
            if header.get("backend") != cls.name:
                raise ValueError(f"written by backend {header.get('backend')!r}")
            model = cls(**header["params"])
            classes = [str(c) for c in header["classes"]]
            n_scores = 1 if len(classes) == 2 else len(classes)
            for name in ("intercept", "calibration_a", "calibration_b"):
                if arrays[name].shape != (n_scores,):
                    raise ValueError(f"{name} has shape {arrays[name].shape}")
            model.classes_ = classes
            model._set_state(
                terms,
                arrays["idf"],
                arrays["coef"],
                arrays["intercept"],
                arrays["calibration_a"],
                arrays["calibration_b"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}: inconsistent model artifact ({exc})") from None
        return model
