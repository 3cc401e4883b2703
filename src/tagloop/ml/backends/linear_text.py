"""Linear models over n-gram TF-IDF blocks, calibrated on out-of-fold scores, saved as arrays.

One class serves every linear candidate of model selection (``auto.py``) and the default
``sklearn`` backend: a feature set is one or two TF-IDF blocks (character n-grams inside
words, word n-grams), each l2-normalised on its own as scikit-learn's ``FeatureUnion`` of two
vectorizers would be; the model is a ridge classifier, a linear SVM or complement naive Bayes
(linear in log space: its joint log-likelihood is ``X @ feature_log_prob_.T``). All of them
reduce to coefficients and intercepts, so they score through ``LinearScorer`` and save to the
same pickle-free artifact (``artifact.py``).

Training works in folds that keep duplicate texts together: each fold's model scores the
rows it did not see, a calibrator is fitted on those out-of-fold scores, and the final model
is fitted on every row. ``fit_cv`` also returns *cross-fitted* probabilities — each fold's
rows calibrated by a calibrator that never saw them — so the same k fits give an honest
cross-validated estimate at no extra cost. The vocabulary and idf are learnt once from all
texts (no labels involved) and shared by the folds.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp

from tagloop.ml.backends.artifact import read_artifact, write_artifact
from tagloop.ml.backends.base import Contribution, Progress
from tagloop.ml.backends.calibration import apply_calibrator, apply_calibrator_one, fit_calibrator
from tagloop.ml.backends.errors import ArtifactError
from tagloop.ml.backends.linear_scorer import LinearScorer
from tagloop.ml.split import IndexArray, cross_validation_folds, duplicate_groups

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

# A block: (analyzer, (low, high) n-gram lengths).
Block = tuple[str, tuple[int, int]]
FEATURES: dict[str, list[Block]] = {
    "char": [("char_wb", (2, 5))],
    "word": [("word", (1, 2))],
    "word+char": [("word", (1, 2)), ("char_wb", (2, 5))],
}
MODELS = ("ridge", "svm", "cnb")
SGD_ROWS = 5_000  # above this, the linear SVM is fitted by SGD
Folds = list[tuple[IndexArray, IndexArray]]


def _no_progress(stage: str, fraction: float) -> None:
    pass


def class_weights(
    class_weight: Mapping[str, float] | None, classes: Sequence[str]
) -> dict[str, float]:
    """The weight of each class; a label the data does not have is an error, not a no-op."""
    weights = dict(class_weight or {})
    unknown = sorted(set(weights) - set(classes))
    if unknown:
        raise ValueError(
            f"cost names label(s) {', '.join(map(repr, unknown))} that the data does not have "
            f"(labels: {', '.join(classes)})"
        )
    if any(not w > 0 for w in weights.values()):
        raise ValueError(f"class weights must be positive, got {weights}")
    return weights


def cross_fitted_proba(
    oof: np.ndarray, y: np.ndarray, n_classes: int, weights: np.ndarray, folds: Folds
) -> np.ndarray:
    """Calibrated probabilities of every row from a calibrator fitted without its fold."""
    proba = np.zeros((len(y), n_classes))
    for train, held_out in folds:
        a, b = fit_calibrator(oof[train], y[train], n_classes, weights[train])
        proba[held_out] = apply_calibrator(oof[held_out], a, b)
    return proba


def prepare(
    texts: Sequence[str], labels: Sequence[str], class_weight: Mapping[str, float] | None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Classes, class indices and per-row weights; refuses data no model can learn from."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("need at least two classes")
    cost = class_weights(class_weight, classes)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in labels], dtype=np.int64)
    return classes, y, np.array([cost.get(c, 1.0) for c in classes])[y]


def calibration_split(
    texts: Sequence[str], labels: Sequence[str], y: np.ndarray, k: int, seed: int
) -> Folds:
    """k grouped folds, but no more than the rarest class's distinct texts allow."""
    groups = duplicate_groups(texts)
    fewest = min(len(np.unique(groups[y == c])) for c in np.unique(y))
    if fewest < 2:
        raise ValueError("every class needs at least two distinct texts")
    return cross_validation_folds(texts, labels, min(k, fewest), seed)


def vectorize_block(
    block: Block, texts: Sequence[str], min_df: int, max_features: int | None
) -> tuple[sp.csr_matrix, TfidfVectorizer]:
    """One block's TF-IDF matrix (float32, to halve its memory) and its fitted vectorizer."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer, grams = block
    vectorizer = TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=grams,
        sublinear_tf=True,
        min_df=min_df,
        max_features=max_features,
        dtype=np.float32,
    )
    return vectorizer.fit_transform(texts).tocsr(), vectorizer


def stack(matrices: Sequence[sp.csr_matrix]) -> sp.csr_matrix:
    return matrices[0] if len(matrices) == 1 else sp.hstack(matrices, format="csr")


class LinearTextBackend:
    """A calibrated linear classifier over TF-IDF n-gram blocks (see the module docstring)."""

    name: ClassVar[str] = "linear"

    def __init__(
        self,
        *,
        seed: int = 0,
        features: str = "word+char",
        model: str = "svm",
        alpha: float = 1.0,
        class_weight: Mapping[str, float] | None = None,
        calibration_folds: int = 5,
        min_df: int = 1,
        max_features: int | None = None,
    ) -> None:
        self.seed = seed
        self.features = features
        self.model = model
        self.alpha = alpha
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.min_df = min_df
        self.max_features = max_features

    def get_params(self) -> dict[str, Any]:
        if self.features not in FEATURES:
            raise ValueError(f"features must be one of {sorted(FEATURES)}, got {self.features!r}")
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {list(MODELS)}, got {self.model!r}")
        self._check_common()
        return {
            "seed": int(self.seed),
            "features": self.features,
            "model": self.model,
            "alpha": float(self.alpha),
            "class_weight": None if self.class_weight is None else dict(self.class_weight),
            "calibration_folds": int(self.calibration_folds),
            "min_df": int(self.min_df),
            "max_features": None if self.max_features is None else int(self.max_features),
        }

    def _check_common(self) -> None:
        if self.alpha <= 0:
            raise ValueError(f"alpha must be positive, got {self.alpha}")
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds must be at least 2, got {self.calibration_folds}")
        if self.min_df < 1:
            raise ValueError(f"min_df must be at least 1, got {self.min_df}")
        if self.max_features is not None and self.max_features < 1:
            raise ValueError(f"max_features must be at least 1, got {self.max_features}")
        if self.class_weight is not None and any(not w > 0 for w in self.class_weight.values()):
            raise ValueError(f"class weights must be positive, got {dict(self.class_weight)}")

    # -- what a subclass may change ----------------------------------------------------------
    def blocks(self) -> list[Block]:
        return FEATURES[self.features]

    def estimator(self, rows: int) -> Any:
        """A fresh scikit-learn estimator taking ``fit(X, y, sample_weight=...)``."""
        from sklearn.linear_model import RidgeClassifier, SGDClassifier
        from sklearn.naive_bayes import ComplementNB
        from sklearn.svm import LinearSVC

        if self.model == "ridge":
            return RidgeClassifier(alpha=self.alpha, random_state=self.seed)
        if self.model == "svm":
            # C = 1 / alpha, so that alpha is "more regularisation" for every model.
            if rows <= SGD_ROWS:
                return LinearSVC(C=1.0 / self.alpha, random_state=self.seed, max_iter=2000)
            # The same objective (hinge loss, l2 penalty alpha / rows per row) by stochastic
            # gradient descent: 3-4x faster than liblinear (10k fortunes, word+char: 11 s vs
            # 37 s; 100k glosses, words: 1.5 s vs 6.3 s), within 0.1 point of its accuracy.
            return SGDClassifier(
                loss="hinge", alpha=self.alpha / rows, max_iter=10, tol=None, random_state=self.seed
            )
        return ComplementNB(alpha=self.alpha)

    # -- features --------------------------------------------------------------------------
    def vectorize(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, list[TfidfVectorizer]]:
        """Fit the blocks' vectorizers on ``texts``; the stacked matrix and the vectorizers."""
        fitted = [
            vectorize_block(block, texts, self.min_df, self.max_features) for block in self.blocks()
        ]
        return stack([m for m, _ in fitted]), [v for _, v in fitted]

    # -- training --------------------------------------------------------------------------
    def _fit_linear(
        self, features: sp.csr_matrix, y: np.ndarray, weights: np.ndarray, n_classes: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(coef, intercept) with one row per score: one for two classes, else one per class."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.naive_bayes import ComplementNB

        model = self.estimator(features.shape[0])
        with warnings.catch_warnings():
            # liblinear stopping at max_iter still gives a usable, nearly optimal model; the
            # cross-validated figures say how good it is.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(features, y, sample_weight=weights)
        if isinstance(model, ComplementNB):
            coef = model.feature_log_prob_
            if n_classes == 2:
                coef = coef[1:] - coef[:1]
            return np.asarray(coef, dtype=np.float64), np.zeros(len(coef))
        coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
        return coef, np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))

    def out_of_fold_scores(
        self,
        features: sp.csr_matrix,
        y: np.ndarray,
        weights: np.ndarray,
        n_classes: int,
        folds: Folds,
        progress: Progress | None = None,
        after_fold: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Each row's raw scores from the model of the fold that did not train on it.

        ``after_fold(done)`` runs after each fold; it may raise to stop (a time budget)."""
        report = progress or _no_progress
        oof = np.zeros((len(y), 1 if n_classes == 2 else n_classes))
        for i, (train, held_out) in enumerate(folds):
            report("cross-validating", i / len(folds))
            coef, intercept = self._fit_linear(features[train], y[train], weights[train], n_classes)
            oof[held_out] = np.asarray(features[held_out] @ coef.T) + intercept
            if after_fold is not None:
                after_fold(i + 1)
        return oof

    def finish(
        self,
        features: sp.csr_matrix,
        vectorizers: list[TfidfVectorizer],
        y: np.ndarray,
        weights: np.ndarray,
        classes: list[str],
        oof: np.ndarray,
    ) -> None:
        """Fit the final model on every row and its calibrator on the out-of-fold scores."""
        a, b = fit_calibrator(oof, y, len(classes), weights)
        coef, intercept = self._fit_linear(features, y, weights, len(classes))
        # The idf again in float64 (the vectorizers work in float32 to halve their memory),
        # by scikit-learn's smoothed formula from the exact document frequencies.
        df = np.bincount(features.indices, minlength=features.shape[1])
        idf = np.log((1.0 + features.shape[0]) / (1.0 + df)) + 1.0
        terms: list[list[str]] = []
        idfs = []
        start = 0
        for v in vectorizers:
            block = [""] * len(v.vocabulary_)
            for term, j in v.vocabulary_.items():
                block[j] = term
            terms.append(block)
            idfs.append(idf[start : start + len(block)])
            start += len(block)
        self.classes_ = classes
        self._set_state(terms, idfs, coef, intercept, a, b)

    def prepare(
        self, texts: Sequence[str], labels: Sequence[str]
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        return prepare(texts, labels, self.class_weight)

    def calibration_split(
        self, texts: Sequence[str], labels: Sequence[str], y: np.ndarray
    ) -> Folds:
        return calibration_split(texts, labels, y, self.calibration_folds, self.seed)

    def fit_cv(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        folds: Folds | None = None,
        *,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """Fit on every row; return cross-fitted probabilities for ``folds`` (default: the
        calibration folds), which double as the calibration folds."""
        report = progress or _no_progress
        texts, labels = list(texts), list(labels)
        classes, y, weights = self.prepare(texts, labels)
        folds = folds if folds is not None else self.calibration_split(texts, labels, y)
        report("vectorising", 0.0)
        features, vectorizers = self.vectorize(texts)

        def fold_progress(stage: str, fraction: float) -> None:
            report(stage, 0.1 + 0.7 * fraction)

        oof = self.out_of_fold_scores(features, y, weights, len(classes), folds, fold_progress)
        report("fitting final model", 0.8)
        self.finish(features, vectorizers, y, weights, classes, oof)
        report("done", 1.0)
        return cross_fitted_proba(oof, y, len(classes), weights, folds)

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None
    ) -> LinearTextBackend:
        self.fit_cv(texts, labels, progress=progress)
        return self

    def _set_state(
        self,
        terms: list[list[str]],
        idfs: list[np.ndarray],
        coef: np.ndarray,
        intercept: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
    ) -> None:
        coef = np.atleast_2d(coef)
        scorers: list[LinearScorer] = []
        start = 0
        for (analyzer, grams), block_terms, idf in zip(self.blocks(), terms, idfs, strict=True):
            end = start + len(block_terms)
            first = not scorers  # the intercept lives in the first block only
            scorers.append(
                LinearScorer(
                    block_terms,
                    idf,
                    coef[:, start:end],
                    np.atleast_1d(intercept) if first else np.zeros(len(coef)),
                    ngram_range=(int(grams[0]), int(grams[1])),
                    analyzer=analyzer,
                )
            )
            start = end
        if start != coef.shape[1]:
            raise ValueError(f"coef has {coef.shape[1]} columns, the blocks {start} terms")
        self.scorers_ = scorers
        self.calibration_a_ = np.asarray(a, dtype=np.float64)
        self.calibration_b_ = np.asarray(b, dtype=np.float64)
        self._a_list: list[float] = self.calibration_a_.tolist()
        self._b_list: list[float] = self.calibration_b_.tolist()

    @property
    def scorer_(self) -> LinearScorer:
        """The first (for the ``sklearn`` backend: the only) block's scorer."""
        return self.scorers_[0]

    # -- prediction ------------------------------------------------------------------------
    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated scores: one column (second class) if binary, else one per class."""
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, got one string")
        texts = list(texts)
        scores = self.scorers_[0].decision_function(texts)
        for scorer in self.scorers_[1:]:
            scores = scores + scorer.decision_function(texts)
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return apply_calibrator(
            self.decision_function(texts), self.calibration_a_, self.calibration_b_
        )

    def predict_proba_one(self, text: str) -> np.ndarray:
        scores = self.scorers_[0].decision_one(text)
        for scorer in self.scorers_[1:]:
            scores = [s + t for s, t in zip(scores, scorer.decision_one(text), strict=True)]
        return np.array(apply_calibrator_one(scores, self._a_list, self._b_list))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def explain(
        self, text: str, label: str | None = None, top_k: int | None = 10
    ) -> list[Contribution]:
        """Words of ``text`` ranked by their push toward ``label`` (default: predicted class).

        A word's weight is the exact sum, over its n-grams in every block, of coefficient x
        tf-idf value for the label's score (a word n-gram's share is split equally among the
        words it joins); the weights of all words plus ``intercept(label)`` equal that score.
        For a binary model the score is of the second class; toward the first class every
        sign is flipped. ``top_k=None`` returns every word.
        """
        if label is None:
            label = self.classes_[int(np.argmax(self.predict_proba_one(text)))]
        row, sign = self._score_row(label)
        spans = self.scorers_[0].word_contributions(text, row)
        for scorer in self.scorers_[1:]:
            more = scorer.word_contributions(text, row)
            spans = [(s, e, w + v) for (s, e, w), (_, _, v) in zip(spans, more, strict=True)]
        contributions = [
            Contribution(token=text[start:end], start=start, end=end, weight=sign * weight)
            for start, end, weight in spans
        ]
        contributions.sort(key=lambda c: abs(c.weight), reverse=True)
        return contributions if top_k is None else contributions[:top_k]

    def intercept(self, label: str) -> float:
        """The part of ``label``'s score that no word contributes (see ``explain``)."""
        row, sign = self._score_row(label)
        return sign * float(self.scorers_[0].intercept[row])

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
            "blocks": [len(s.terms) for s in self.scorers_],
            "versions": {
                lib: importlib.metadata.version(lib) for lib in ("numpy", "scikit-learn", "tagloop")
            },
        }
        write_artifact(
            path,
            header,
            [t for s in self.scorers_ for t in s.terms],
            idf=np.concatenate([s.idf for s in self.scorers_]),
            coef=np.hstack([s.coef for s in self.scorers_]),
            intercept=self.scorers_[0].intercept,
            calibration_a=self.calibration_a_,
            calibration_b=self.calibration_b_,
        )

    @classmethod
    def load(cls, path: Path) -> LinearTextBackend:
        header, terms, arrays = read_artifact(path)
        try:
            if header.get("backend") != cls.name:
                raise ValueError(f"written by backend {header.get('backend')!r}")
            model = cls(**header["params"])
            model.get_params()
            classes = [str(c) for c in header["classes"]]
            n_scores = 1 if len(classes) == 2 else len(classes)
            for name in ("intercept", "calibration_a", "calibration_b"):
                if arrays[name].shape != (n_scores,):
                    raise ValueError(f"{name} has shape {arrays[name].shape}")
            sizes = [int(n) for n in header.get("blocks", [len(terms)])]
            if len(sizes) != len(model.blocks()) or sum(sizes) != len(terms):
                raise ValueError(f"blocks {sizes} do not match {len(terms)} terms")
            edges = np.cumsum([0, *sizes])
            model.classes_ = classes
            model._set_state(
                [terms[lo:hi] for lo, hi in itertools.pairwise(edges)],
                [arrays["idf"][lo:hi] for lo, hi in itertools.pairwise(edges)],
                arrays["coef"],
                arrays["intercept"],
                arrays["calibration_a"],
                arrays["calibration_b"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}: inconsistent model artifact ({exc})") from None
        return model
