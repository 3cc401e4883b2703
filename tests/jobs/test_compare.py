"""A fair comparison: the same rows for both models, none that either was trained on."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tagloop.ml.compare import Side, compare, evaluation_rows, metric_table
from tagloop.ml.snapshots import Rows


class KeywordModel:
    """Calls a text spam when it holds ``word``: predictable, so the numbers are checkable."""

    name = "keyword"

    def __init__(self, word: str) -> None:
        self.word = word
        self.classes_ = ["ham", "spam"]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[0.1, 0.9] if self.word in t else [0.8, 0.2] for t in texts])


FIXED = Rows(
    ["win cash now", "win a prize", "lunch at noon?", "lunch at noon?", "free prize", "ok"],
    ["spam", "spam", "ham", "ham", "spam", "ham"],
)
FEEDBACK = Rows(["prize draw today", "Win Cash Now", "new text"], ["spam", "spam", "ham"])


def sides(a_train: Rows | None = None, b_train: Rows | None = None) -> tuple[Side, Side]:
    a = Side(1, KeywordModel("win"), a_train or Rows.empty(), FIXED)  # type: ignore[arg-type]
    b = Side(2, KeywordModel("prize"), b_train or Rows.empty(), FIXED)  # type: ignore[arg-type]
    return a, b


def test_rows_neither_model_trained_on_fixed_set_first() -> None:
    a, b = sides(a_train=Rows(["OK"], ["ham"]), b_train=Rows(["new  TEXT"], ["ham"]))
    rows, sources = evaluation_rows(a, b, FEEDBACK)
    # "ok" and "new text" were trained on (after case/space folding); "Win Cash Now" is
    # already in the fixed set; repeats inside the fixed set stay.
    assert rows.texts == [
        "win cash now",
        "win a prize",
        "lunch at noon?",
        "lunch at noon?",
        "free prize",
        "prize draw today",
    ]
    assert sources == ["fixed"] * 5 + ["feedback"]


def test_two_different_fixed_sets_are_both_used_once() -> None:
    a, b = sides()
    b.evaluation = Rows(["win cash now", "other"], ["spam", "ham"])
    rows, sources = evaluation_rows(a, b, Rows.empty())
    assert rows.texts.count("win cash now") == 1 and "other" in rows.texts
    assert set(sources) == {"fixed"}


def test_comparison_has_every_metric_both_matrices_and_the_changed_messages() -> None:
    a, b = sides()
    result = compare(a, b, FEEDBACK)
    assert result["a_id"] == 1 and result["b_id"] == 2
    assert result["eval_rows"] == 8 and result["rows"] == {"fixed": 6, "feedback": 2}
    # a ("win") misses "free prize" and "prize draw today"; b ("prize") misses "win cash now".
    acc = result["metrics"]["accuracy"]
    assert acc == {"a": 0.75, "b": 0.875, "delta": 0.125, "higher_is_better": True}
    for name in ("macro_f1", "mcc", "roc_auc", "ece", "log_loss", "f1[spam]", "recall[ham]"):
        entry = result["metrics"][name]
        assert set(entry) == {"a", "b", "delta", "higher_is_better"}
    assert result["metrics"]["ece"]["higher_is_better"] is False
    assert result["metrics"]["false_positive_rate[spam]"]["higher_is_better"] is False
    for side in ("a", "b"):
        matrix = result["confusion_matrices"][side]
        assert matrix["labels"] == ["ham", "spam"]
        assert sum(map(sum, matrix["matrix"])) == 8
    changed = {c["text"]: c for c in result["changed"]}
    assert set(changed) == {"win cash now", "free prize", "prize draw today"}
    assert changed["win cash now"] == {
        "text": "win cash now",
        "label": "spam",
        "a": "spam",
        "b": "ham",
        "source": "fixed",
    }
    assert changed["prize draw today"]["source"] == "feedback"
    assert result["changed_count"] == 3
    assert result["changes"] == {"now_right": 2, "now_wrong": 1}
    assert result["slices"]["fixed"]["rows"] == 6
    assert result["slices"]["feedback"]["metrics"]["accuracy"] == {
        "a": 0.5,
        "b": 1.0,
        "delta": 0.5,
        "higher_is_better": True,
    }


def test_delta_is_b_minus_a_and_missing_values_give_no_delta() -> None:
    table = metric_table(
        {"accuracy": 0.9, "roc_auc": None, "per_class": {}},
        {"accuracy": 0.95, "roc_auc": 0.99, "per_class": {}},
    )
    assert abs(table["accuracy"]["delta"] - 0.05) < 1e-12
    assert table["roc_auc"]["delta"] is None
