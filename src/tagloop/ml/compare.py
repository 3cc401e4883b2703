"""A fair comparison of two model versions: every row scored by models that never saw it.

The rows are the fixed comparison sets recorded in the registry (a retrained candidate
inherits its parent's, so along one line of versions it is one set) plus the feedback
hold-out (see ``ml/retrain.py``). Registered models are fitted on all their rows, the
comparison set included, so that slice is scored by *comparison refits*: each version's
recipe (backend and parameters; for ``auto``, the candidate it selected) fitted again on its
own training rows minus the comparison set. The feedback hold-out, which neither model
trained on, is scored by the models themselves. Any text either scorer trained on is left
out. Every metric is reported side by side with ``delta = b - a``, on all rows and on each
slice, with both confusion matrices and the messages whose predicted label differs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from tagloop.ml.backends import get_backend
from tagloop.ml.backends.base import Backend
from tagloop.ml.metrics import compute_metrics
from tagloop.ml.registry import Registry
from tagloop.ml.retrain import (
    FeedbackItem,
    in_feedback_holdout,
    resolve_feedback,
    training_base,
)
from tagloop.ml.snapshots import Rows
from tagloop.ml.split import normalise_text
from tagloop.store.models import ModelVersion, utcnow

SCALARS = ("accuracy", "macro_f1", "mcc", "roc_auc", "ece", "log_loss", "brier")
PER_CLASS = ("precision", "recall", "f1", "false_positive_rate")
LOWER_IS_BETTER = {"ece", "log_loss", "brier", "false_positive_rate"}
CHANGED_LIMIT = 200


@dataclass
class Side:
    """One model in a comparison: the model, what it trained on, its evaluation set, and
    the model (with its training rows) that scores the fixed set; by default the model."""

    version: int | None
    model: Backend
    train: Rows
    evaluation: Rows
    fixed_model: Backend | None = None
    fixed_train: Rows | None = None

    @property
    def fixed_scorer(self) -> tuple[Backend, Rows]:
        if self.fixed_model is None or self.fixed_train is None:
            return self.model, self.train
        return self.fixed_model, self.fixed_train


def recipe(model: Backend) -> tuple[str, dict[str, Any]]:
    """The backend name and parameters that fit ``model`` again (an ``auto`` model's winner)."""
    selection = getattr(model, "selection_", None)
    if selection is not None:
        winner = selection["winner"]
        return str(winner["backend"]), dict(winner["params"])
    return model.name, model.get_params()


def with_refit(side: Side) -> Side:
    """``side`` with a comparison refit: its recipe fitted on its rows minus the fixed set.

    A version that never trained on its fixed set (registered before models were fitted on
    all rows) needs none.
    """
    held = {normalise_text(t) for t in side.evaluation.texts}
    keep = [i for i, t in enumerate(side.train.texts) if normalise_text(t) not in held]
    if len(keep) == len(side.train.texts):
        return side
    rows = Rows([side.train.texts[i] for i in keep], [side.train.labels[i] for i in keep])
    name, params = recipe(side.model)
    factory: Any = get_backend(name)
    refit: Backend = factory(**params)
    refit.fit(rows.texts, rows.labels)
    return Side(side.version, side.model, side.train, side.evaluation, refit, rows)


def side_from_registry(registry: Registry, row: ModelVersion) -> Side:
    train, evaluation, _ = training_base(registry.home, row)
    return with_refit(Side(row.id, registry.load(row), train, evaluation))


def feedback_holdout(feedback: list[FeedbackItem]) -> Rows:
    """The held-out slice of the current feedback (texts stored in full only)."""
    resolved, _ = resolve_feedback(feedback)
    kept = [
        (text, item.label)
        for item, text in resolved.values()
        if text is not None and in_feedback_holdout(text)
    ]
    return Rows([t for t, _ in kept], [y for _, y in kept])


def evaluation_rows(a: Side, b: Side, feedback: Rows) -> tuple[Rows, list[str]]:
    """The rows both are scored on, and which slice (``fixed``/``feedback``) each came from.

    Repeats inside one set are kept (the set is what it is); a text already taken from an
    earlier set is not counted twice.
    """
    trained = {normalise_text(t) for side in (a, b) for t in side.train.texts}
    trained_fixed = {normalise_text(t) for side in (a, b) for t in side.fixed_scorer[1].texts}
    labels = set(a.model.classes_) & set(b.model.classes_)
    sets = [("fixed", a.evaluation)]
    if b.evaluation != a.evaluation:
        sets.append(("fixed", b.evaluation))
    sets.append(("feedback", feedback))
    texts: list[str] = []
    truth: list[str] = []
    sources: list[str] = []
    taken: set[str] = set()
    for source, rows in sets:
        before = frozenset(taken)
        for text, label in zip(rows.texts, rows.labels, strict=True):
            key = normalise_text(text)
            seen = trained_fixed if source == "fixed" else trained
            if key in seen or key in before or label not in labels:
                continue
            taken.add(key)
            texts.append(text)
            truth.append(label)
            sources.append(source)
    return Rows(texts, truth), sources


def metric_table(ma: dict[str, Any], mb: dict[str, Any]) -> dict[str, dict[str, Any]]:
    fa, fb = _flat(ma), _flat(mb)
    table = {}
    for name in dict.fromkeys([*fa, *fb]):
        va, vb = fa.get(name), fb.get(name)
        base = name.split("[", 1)[0]
        table[name] = {
            "a": va,
            "b": vb,
            "delta": None if va is None or vb is None else vb - va,
            "higher_is_better": base not in LOWER_IS_BETTER,
        }
    return table


def _flat(m: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {name: m.get(name) for name in SCALARS if name in m}
    for label, stats in m.get("per_class", {}).items():
        for stat in PER_CLASS:
            out[f"{stat}[{label}]"] = stats.get(stat)
    return out


def _score(model: Backend, rows: Rows, proba: np.ndarray) -> dict[str, Any]:
    with warnings.catch_warnings():
        # A slice may hold one class only (feedback is often all spam): MCC is then 0 by
        # definition, and scikit-learn's note about it is expected, not a problem.
        warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
        return compute_metrics(rows.labels, proba, list(model.classes_))


def _proba(side: Side, rows: Rows, sources: list[str]) -> np.ndarray:
    """Each row's probabilities from the model of its slice (the refit for the fixed set)."""
    proba = np.zeros((len(rows.texts), len(side.model.classes_)))
    for source, model in (("fixed", side.fixed_scorer[0]), ("feedback", side.model)):
        idx = [i for i, s in enumerate(sources) if s == source]
        if idx:
            if list(model.classes_) != list(side.model.classes_):
                raise ValueError("the comparison refit lost a class: too few rows to compare")
            proba[idx] = model.predict_proba([rows.texts[i] for i in idx])
    return proba


def compare(a: Side, b: Side, feedback: Rows) -> dict[str, Any]:
    """Score ``a`` and ``b`` on the same rows; JSON-ready (stored with the candidate)."""
    rows, sources = evaluation_rows(a, b, feedback)
    if not rows.texts:
        raise ValueError("no evaluation rows that neither model was trained on")
    proba_a, proba_b = _proba(a, rows, sources), _proba(b, rows, sources)
    slices: dict[str, Any] = {}
    for name in ("fixed", "feedback"):
        mask = np.array([s == name for s in sources])
        if not mask.any():
            slices[name] = {"rows": 0, "metrics": {}}
            continue
        part = Rows(
            [t for t, m in zip(rows.texts, mask, strict=True) if m],
            [y for y, m in zip(rows.labels, mask, strict=True) if m],
        )
        slices[name] = {
            "rows": int(mask.sum()),
            "metrics": metric_table(
                _score(a.model, part, proba_a[mask]), _score(b.model, part, proba_b[mask])
            ),
        }
    ma, mb = _score(a.model, rows, proba_a), _score(b.model, rows, proba_b)
    pred_a = [a.model.classes_[k] for k in proba_a.argmax(axis=1)]
    pred_b = [b.model.classes_[k] for k in proba_b.argmax(axis=1)]
    changed = [
        {"text": text, "label": label, "a": pa, "b": pb, "source": source}
        for text, label, pa, pb, source in zip(
            rows.texts, rows.labels, pred_a, pred_b, sources, strict=True
        )
        if pa != pb
    ]
    return {
        "a_id": a.version,
        "b_id": b.version,
        "computed_at": utcnow().isoformat(timespec="seconds") + "Z",
        "eval_rows": len(rows.texts),
        "rows": {name: part["rows"] for name, part in slices.items()},
        "metrics": metric_table(ma, mb),
        "slices": slices,
        "confusion_matrices": {"a": ma["confusion_matrix"], "b": mb["confusion_matrix"]},
        "changed": changed[:CHANGED_LIMIT],
        "changed_count": len(changed),
        "changes": {
            "now_right": sum(1 for c in changed if c["b"] == c["label"]),
            "now_wrong": sum(1 for c in changed if c["a"] == c["label"]),
        },
    }


def summary(comparison: dict[str, Any]) -> dict[str, Any]:
    """The headline figures, for a job's result."""
    keep = ("accuracy", "macro_f1", "mcc", "roc_auc", "ece")
    return {
        "a_id": comparison["a_id"],
        "b_id": comparison["b_id"],
        "eval_rows": comparison["eval_rows"],
        "rows": comparison["rows"],
        "metrics": {k: v for k, v in comparison["metrics"].items() if k in keep},
        "fixed_metrics": {
            k: v for k, v in comparison["slices"]["fixed"]["metrics"].items() if k in keep
        },
        "changed_count": comparison["changed_count"],
        "changes": comparison["changes"],
    }
