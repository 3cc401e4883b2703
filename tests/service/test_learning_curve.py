"""The learning curve: points double from 16 labels up to all of them, each scored by
cross-validation, and its change from the previous point."""

from __future__ import annotations

from tagloop.ml.learning_curve import learning_curve, points
from tagloop.service import items, label_training, labelling, projects


def test_points_double_and_end_with_all_labels():
    assert points(10) == []
    assert points(16) == [16]
    assert points(100) == [16, 32, 64, 100]
    assert points(5000) == [256, 512, 1024, 2048, 4096, 5000]  # the most recent six


def test_more_labels_score_better_on_separable_texts(sms_dataset):
    texts, labels = sms_dataset.texts[:400], sms_dataset.labels[:400]
    curve = learning_curve(texts, labels)
    assert [p["labels"] for p in curve] == [16, 32, 64, 128, 256, 400]
    scored = [p for p in curve if p["accuracy"] is not None]
    assert scored[-1]["accuracy"] > 0.9
    assert scored[-1]["macro_f1"] > 0.8
    last, before = curve[-1], curve[-2]
    assert last["accuracy_change"] == last["accuracy"] - before["accuracy"]


def test_project_curve_follows_the_labelling_order(core):
    project = projects.create(core.store, core.settings, "inbox", labels=["a", "b"])
    texts = [f"apple banana {i}" for i in range(10)] + [f"car truck {i}" for i in range(10)]
    items.add_items(core, project, items.check_texts(core, texts, None, "t"))
    assert label_training.learning_curve(core, project) == []
    for item in labelling.next_items(core, project, "client:x", limit=20):
        labelling.label(
            core, project, item["id"], "a" if "apple" in item["text"] else "b", "client:x"
        )
    curve = label_training.learning_curve(core, project)
    assert [p["labels"] for p in curve] == [16, 20]
    assert curve[-1]["accuracy"] == 1.0
