"""The rules that turn a model's training data plus feedback into retraining data."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from tagloop.ml.retrain import (
    CONFLICT_RULE,
    FeedbackItem,
    build_retraining_data,
    in_feedback_holdout,
)
from tagloop.ml.snapshots import Rows, SnapshotError, read_snapshot, snapshot_split, write_snapshot

T0 = datetime(2026, 1, 1, 12, 0, 0)
CLASSES = ["ham", "spam"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def trained_text(stem: str) -> str:
    """A text (stem + n) that falls on the training side of the feedback hold-out."""
    return next(f"{stem} {n}" for n in range(1000) if not in_feedback_holdout(f"{stem} {n}"))


def held_out_text(stem: str) -> str:
    return next(f"{stem} {n}" for n in range(1000) if in_feedback_holdout(f"{stem} {n}"))


def fb(pid: int, text: str | None, label: str, minutes: int = 0, *, of: str | None = None):
    return FeedbackItem(pid, text, sha(of or text or ""), label, T0 + timedelta(minutes=minutes))


def build(base: Rows, feedback: list[FeedbackItem], evaluation: Rows | None = None):
    return build_retraining_data(
        base, evaluation or Rows.empty(), feedback, classes=CLASSES, since=T0
    )


def as_dict(rows: Rows) -> dict[str, str]:
    return dict(zip(rows.texts, rows.labels, strict=True))


def test_feedback_overrides_the_label_of_the_same_text() -> None:
    text = trained_text("call me back")
    data = build(Rows([text, "other"], ["ham", "ham"]), [fb(1, text, "spam")])
    assert as_dict(data.train) == {text: "spam", "other": "ham"}
    assert data.report["feedback"]["overrides"] == 1
    assert data.report["feedback"]["added"] == 0


def test_feedback_on_a_new_text_adds_a_row_and_agreeing_feedback_confirms() -> None:
    new, same = trained_text("brand new"), trained_text("kept")
    data = build(Rows([same], ["ham"]), [fb(1, new, "spam"), fb(2, same, "ham")])
    assert as_dict(data.train) == {same: "ham", new: "spam"}
    assert data.report["feedback"]["added"] == 1
    assert data.report["feedback"]["confirmations"] == 1


def test_duplicates_collapse_and_the_last_row_wins() -> None:
    data = build(Rows(["a", "b", "a", "a"], ["ham", "ham", "ham", "spam"]), [])
    assert as_dict(data.train) == {"a": "spam", "b": "ham"}
    assert data.train.texts == ["a", "b"]  # first position kept
    assert data.report["base"]["duplicates_collapsed"] == 2
    assert data.report["base"]["conflicting_duplicates"] == 1


def test_conflicting_feedback_the_latest_wins_and_is_reported() -> None:
    text = trained_text("win a prize")
    feedback = [
        fb(1, text, "spam", minutes=1),
        fb(2, text, "ham", minutes=5),  # the most recent feedback
        fb(3, text, "spam", minutes=3),
    ]
    data = build(Rows([text], ["ham"]), feedback)
    assert as_dict(data.train) == {text: "ham"}
    conflicts = data.report["feedback"]["conflicts"]
    assert conflicts["count"] == 1
    assert conflicts["rule"] == CONFLICT_RULE
    [example] = conflicts["examples"]
    assert example["chosen"] == "ham" and example["text"] == text
    assert [x["prediction_id"] for x in example["labels"]] == [1, 3, 2]


def test_agreeing_feedback_on_repeats_is_not_a_conflict() -> None:
    text = trained_text("see you")
    data = build(Rows([], []), [fb(1, text, "spam"), fb(2, text, "spam", minutes=1)])
    assert data.report["feedback"]["conflicts"]["count"] == 0
    assert data.report["feedback"]["texts"] == 1


def test_hashed_texts_are_reported_and_only_relabel_known_texts() -> None:
    known = trained_text("known text")
    feedback = [
        fb(1, None, "spam", of=known),  # only the hash: matches a training text
        fb(2, None, "spam", of="a text nobody stored"),
        fb(3, None, "ham", of="another unknown"),
    ]
    data = build(Rows([known], ["ham"]), feedback)
    assert as_dict(data.train) == {known: "spam"}
    hashed = data.report["feedback"]["hashed_only"]
    assert hashed["count"] == 3 and hashed["used"] == 1 and hashed["skipped"] == 2
    assert "cannot be trained on" in hashed["note"]


def test_the_comparison_set_is_trained_on_but_never_relabelled() -> None:
    evaluation = Rows(["Held out TEXT", "also held"], ["ham", "spam"])
    base = Rows(["held  out text", "train me"], ["ham", "ham"])  # same text after folding
    feedback = [fb(1, "held out text", "spam"), fb(2, trained_text("fresh"), "spam")]
    data = build(base, feedback, evaluation)
    # The active model learnt from it, so the candidate does too (the comparison refits
    # both without it); feedback cannot move the fixed set.
    assert as_dict(data.train)["held  out text"] == "ham"
    assert data.report["base"]["comparison_set_rows"] == 1
    assert data.report["feedback"]["on_eval_set"] == 1
    assert data.evaluation == evaluation  # the fixed set is not relabelled by feedback


def test_a_deterministic_share_of_feedback_is_held_out_of_training() -> None:
    texts = [f"feedback message number {i}" for i in range(500)]
    data = build(Rows([], []), [fb(i, t, "spam") for i, t in enumerate(texts)])
    held = set(data.holdout.texts)
    assert 70 <= len(held) <= 130  # ~20%
    assert held.isdisjoint(data.train.texts)
    assert held == {t for t in texts if in_feedback_holdout(t)}
    assert data.report["feedback"]["held_out"] == len(held)
    assert data.report["eval"]["feedback_rows"] == len(held)


def test_a_held_out_feedback_text_also_leaves_the_training_rows() -> None:
    text = held_out_text("already in the data")
    data = build(Rows([text, "x"], ["ham", "ham"]), [fb(1, text, "spam")])
    assert text not in data.train.texts
    assert as_dict(data.holdout) == {text: "spam"}


def test_new_feedback_is_counted_since_the_parent() -> None:
    feedback = [fb(1, "old", "spam", minutes=-5), fb(2, "new", "spam", minutes=5)]
    data = build(Rows([], []), feedback)
    assert data.report["feedback"]["new_since_parent"] == 1


def test_snapshots_are_content_addressed_and_checked(tmp_path) -> None:
    rows = Rows(["a\ttab", "b\nnewline"], ["ham", "spam"])
    record = write_snapshot(tmp_path, "datasets", rows)
    assert record["path"] == f"datasets/{record['sha256']}.jsonl"
    assert write_snapshot(tmp_path, "datasets", rows) == record
    assert read_snapshot(tmp_path, record) == rows
    (tmp_path / record["path"]).write_text('{"text": "x", "label": "ham"}\n')
    with pytest.raises(SnapshotError, match="changed"):
        read_snapshot(tmp_path, record)


def test_a_split_snapshot_keeps_every_row_and_the_comparison_set(tmp_path) -> None:
    split = snapshot_split(tmp_path, ["a", "b", "c"], ["ham", "spam", "ham"], [1])
    assert read_snapshot(tmp_path, split) == Rows(["b"], ["spam"])
    assert read_snapshot(tmp_path, split["train_data"]) == Rows(
        ["a", "b", "c"], ["ham", "spam", "ham"]
    )
