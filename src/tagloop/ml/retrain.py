"""The data a retraining run learns from: the active model's training rows plus feedback.

Rules (docs/loop.md has the reasoning):

* **Start** from the rows the active version was trained on (its snapshot in the registry).
  Identical texts collapse to one row; if they disagree, the last row wins.
* **Feedback overrides** the label of the same text, matched by the sha256 of the text.
  Feedback on a text not in the data adds a row.
* **Conflicts** — the newest feedback of each prediction is its label; when predictions of
  the same text carry different labels, the most recent feedback wins. Every conflict is
  counted and a few are reported.
* **Hashed texts** (``TAGLOOP_STORE_TEXT=false``) cannot be trained on unless the hash names a
  text already in the data (then only its label changes); the rest are counted.
* **The fixed comparison set** recorded in the registry is trained on, like every row the
  active model learnt from; feedback on one of its texts (after case and whitespace folding)
  is ignored so the set stays fixed. The comparison scores it with refits that leave it out
  (``compare.py``).
* **Held out, never trained on**: a deterministic ~20% of feedback texts chosen by hash, the
  *feedback hold-out* used by the comparison.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select

from tagloop.ml.datasets import load_dataset
from tagloop.ml.snapshots import Rows, SnapshotError, read_snapshot
from tagloop.ml.split import normalise_text, train_test_split_indices
from tagloop.store import Store
from tagloop.store.models import Item, ModelVersion, Prediction

HOLDOUT_FRACTION = 0.2
CONFLICT_RULE = (
    "each prediction counts with its newest feedback; across predictions of the same text, "
    "the most recent feedback wins"
)
EXAMPLES = 5


class RetrainError(Exception):
    """Retraining cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class FeedbackItem:
    """The current feedback of one prediction."""

    prediction_id: int
    text: str | None  # None when only the hash was stored
    text_sha256: str
    label: str
    at: datetime


@dataclass
class RetrainingData:
    train: Rows
    holdout: Rows  # feedback kept out of training, for the comparison
    evaluation: Rows  # the fixed evaluation set from the registry
    report: dict[str, Any] = field(default_factory=dict)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def in_feedback_holdout(text: str, fraction: float = HOLDOUT_FRACTION) -> bool:
    """Deterministic: the same (case/space-folded) text is always on the same side."""
    digest = hashlib.sha256(b"holdout:" + normalise_text(text).encode()).digest()
    return int.from_bytes(digest[:8], "big") < fraction * 2**64


def load_feedback(store: Store, project_id: int) -> list[FeedbackItem]:
    """Every current feedback on the project's predictions and every label given to its
    imported items (one pool of labels, with negative ids for items), oldest first."""
    query = (
        select(
            Prediction.id,
            Prediction.text,
            Prediction.text_sha256,
            Prediction.feedback_label,
            Prediction.feedback_at,
            Prediction.created_at,
        )
        .where(Prediction.project_id == project_id, Prediction.feedback_label.is_not(None))
        .order_by(Prediction.feedback_at, Prediction.id)
    )
    labelled = select(
        Item.id, Item.text, Item.text_sha256, Item.label, Item.labelled_at, Item.created_at
    ).where(Item.project_id == project_id, Item.status == "labelled")
    with store.session() as session:
        pool = [
            FeedbackItem(pid, text, sha, label or "", at or created)
            for pid, text, sha, label, at, created in session.execute(query)
        ]
        pool.extend(
            FeedbackItem(-iid, text, sha, label or "", at or created)
            for iid, text, sha, label, at, created in session.execute(labelled)
        )
    return sorted(pool, key=lambda f: (f.at, f.prediction_id))


def training_base(home: Any, row: ModelVersion) -> tuple[Rows, Rows, dict[str, Any]]:
    """The rows ``row`` was trained on and its evaluation set, from the registry's snapshots.

    Versions registered before snapshots existed fall back to re-reading their data file, if
    it is still there unchanged, and re-doing the recorded (deterministic) split.
    """
    split = row.eval_split or {}
    if "train_data" in split and "path" in split:
        try:
            train = read_snapshot(home, split["train_data"])
            evaluation = read_snapshot(home, split)
        except SnapshotError as exc:
            raise RetrainError(f"version {row.id}: {exc}") from exc
        return train, evaluation, {"train_data": split["train_data"], "eval_set": _ref(split)}
    try:
        dataset = load_dataset(row.data_source)
    except (ValueError, OSError) as exc:
        raise RetrainError(
            f"version {row.id} has no data snapshot and its data file cannot be read ({exc}): "
            "train a model with 'tagloop train' first"
        ) from exc
    if dataset.sha256 != row.data_sha256:
        raise RetrainError(
            f"version {row.id} has no data snapshot and {row.data_source} has changed since"
        )
    train_idx, test_idx = train_test_split_indices(
        dataset.texts,
        dataset.labels,
        test_size=float(split.get("test_size", split.get("comparison_set", {}).get("share", 0.2))),
        seed=int(split.get("seed", 0)),
    )
    if split.get("method") == "cross-validation":  # fitted on every row
        train_idx = np.arange(dataset.rows)
    train = Rows([dataset.texts[i] for i in train_idx], [dataset.labels[i] for i in train_idx])
    evaluation = Rows([dataset.texts[i] for i in test_idx], [dataset.labels[i] for i in test_idx])
    return train, evaluation, {"train_data": {"source": row.data_source}, "eval_set": {}}


def _ref(record: dict[str, Any]) -> dict[str, Any]:
    return {"path": record.get("path"), "sha256": record.get("sha256")}


def _example(text: str | None, sha: str) -> dict[str, Any]:
    return {"text_sha256": sha, "text": None if text is None else text[:200]}


def resolve_feedback(
    feedback: list[FeedbackItem],
) -> tuple[dict[str, tuple[FeedbackItem, str | None]], dict[str, Any]]:
    """One label per text (by sha256), with the conflict report."""
    by_text: dict[str, list[FeedbackItem]] = defaultdict(list)
    for item in feedback:
        by_text[item.text_sha256].append(item)
    resolved: dict[str, tuple[FeedbackItem, str | None]] = {}
    conflicts = 0
    examples: list[dict[str, Any]] = []
    for sha, items in by_text.items():
        items.sort(key=lambda f: (f.at, f.prediction_id))
        winner = items[-1]
        text = next((f.text for f in items if f.text is not None), None)
        resolved[sha] = (winner, text)
        if len({f.label for f in items}) > 1:
            conflicts += 1
            if len(examples) < EXAMPLES:
                examples.append(
                    {
                        **_example(text, sha),
                        "labels": [
                            {
                                "prediction_id": f.prediction_id,
                                "label": f.label,
                                "at": f.at.isoformat(),
                            }
                            for f in items
                        ],
                        "chosen": winner.label,
                    }
                )
    return resolved, {"count": conflicts, "rule": CONFLICT_RULE, "examples": examples}


def build_retraining_data(
    base: Rows,
    evaluation: Rows,
    feedback: list[FeedbackItem],
    *,
    classes: list[str],
    holdout_fraction: float = HOLDOUT_FRACTION,
    since: datetime | None = None,
) -> RetrainingData:
    """Apply the rules in this module's docstring; pure, so it is tested without a database."""
    eval_keys = {normalise_text(t) for t in evaluation.texts}
    # Base rows by text hash; dict order keeps the first position, the last label wins.
    rows: dict[str, tuple[str, str]] = {}
    seen_labels: dict[str, set[str]] = defaultdict(set)
    on_comparison_set = 0
    for text, label in zip(base.texts, base.labels, strict=True):
        on_comparison_set += normalise_text(text) in eval_keys
        sha = sha256_text(text)
        rows[sha] = (text, label)
        seen_labels[sha].add(label)
    collapsed = len(base) - len(rows)

    resolved, conflicts = resolve_feedback(feedback)
    counts: Counter[str] = Counter()
    holdout_texts: list[str] = []
    holdout_labels: list[str] = []
    holdout_keys: set[str] = set()
    for sha, (item, stored_text) in resolved.items():
        if item.label not in classes:
            counts["unknown_label"] += 1
            continue
        if stored_text is not None:
            text = stored_text
        elif sha in rows:
            counts["hashed_matched"] += 1
            text = rows[sha][0]
        else:
            counts["hashed_skipped"] += 1
            continue
        key = normalise_text(text)
        if key in eval_keys:
            counts["on_eval_set"] += 1
        elif in_feedback_holdout(text, holdout_fraction):
            counts["held_out"] += 1
            holdout_texts.append(text)
            holdout_labels.append(item.label)
            holdout_keys.add(key)
        elif sha in rows:
            counts["overrides" if rows[sha][1] != item.label else "confirmations"] += 1
            rows[sha] = (text, item.label)
        else:
            counts["added"] += 1
            rows[sha] = (text, item.label)

    train = [(t, y) for t, y in rows.values() if normalise_text(t) not in holdout_keys]
    train_rows = Rows([t for t, _ in train], [y for _, y in train])
    new_since = sum(1 for f in feedback if since is None or f.at > since)
    hashed = counts["hashed_skipped"] + counts["hashed_matched"]
    report = {
        "base": {
            "rows": len(base),
            "duplicates_collapsed": collapsed,
            "conflicting_duplicates": sum(1 for labels in seen_labels.values() if len(labels) > 1),
            "comparison_set_rows": on_comparison_set,
        },
        "feedback": {
            "predictions": len(feedback),
            "new_since_parent": new_since,
            "texts": len(resolved),
            "overrides": counts["overrides"],
            "confirmations": counts["confirmations"],
            "added": counts["added"],
            "held_out": counts["held_out"],
            "on_eval_set": counts["on_eval_set"],
            "unknown_label": counts["unknown_label"],
            "conflicts": conflicts,
            "hashed_only": {
                "count": hashed,
                "used": counts["hashed_matched"],
                "skipped": counts["hashed_skipped"],
                "note": "texts stored only as hashes (TAGLOOP_STORE_TEXT=false) cannot be "
                "trained on; a hash that matches a text in the data only changes its label",
            },
        },
        "train_rows": len(train_rows),
        "train_classes": dict(sorted(Counter(train_rows.labels).items())),
        "holdout_fraction": holdout_fraction,
        "eval": {"fixed_rows": len(evaluation), "feedback_rows": len(holdout_texts)},
    }
    return RetrainingData(train_rows, Rows(holdout_texts, holdout_labels), evaluation, report)
