"""The model follows the labels: the first model after enough labels per label, a
retraining after every M further labels on one pool of labels and feedback, a fresh model
for a label added later, and the queue re-ranked by the new model."""

from __future__ import annotations

import pytest

from tagloop.ml.retrain import load_feedback
from tagloop.service import items, label_training, labelling, projects
from tagloop.service.job_state import get_job
from tagloop.service.retrain import run_job

SPAMMY = "WIN a FREE prize {}! call 0800 now to claim cash"
HAMMY = "hey are we still on for dinner at {} tonight"


@pytest.fixture
def inbox(core, sms_dataset):  # type: ignore[no-untyped-def]
    project = projects.create(
        core.store,
        core.settings,
        "inbox",
        labels=["ham", "spam"],
        project_settings={"labels_before_first_model": 4, "retrain_after_labels": 6},
    )
    texts = [SPAMMY.format(i) for i in range(30)] + [HAMMY.format(i) for i in range(30)]
    items.add_items(core, project, items.check_texts(core, texts, None, "test"))
    return project


def label_some(core, project, n: int, *, only: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """Label ``n`` items as the queue serves them (truth from the text); the triggers' answers."""
    queued = []
    done = 0
    while done < n:
        for item in labelling.next_items(core, project, "client:t", limit=1):
            truth = "spam" if "FREE" in item["text"] else "ham"
            if only and truth != only:
                labelling.skip(core, project, item["id"], "client:t")
                continue
            labelling.label(core, project, item["id"], truth, "client:t")
            done += 1
            queued.append(label_training.after_label(core, project))
    return [q for q in queued if q]


def test_first_model_then_retraining_by_the_count_of_labels(core, inbox):
    assert label_some(core, inbox, 4, only="spam") == []  # one label is not enough
    queued = label_some(core, inbox, 4, only="ham")
    assert len(queued) == 1 and queued[0].startswith("training job")
    job_id = int(queued[0].split()[2])
    assert get_job(core.store, job_id).requested_by == label_training.REQUESTED_BY
    assert run_job(core, job_id)
    assert get_job(core.store, job_id).status == "succeeded"
    active = core.registry(inbox).active()
    assert active is not None and sorted(active.labels) == ["ham", "spam"]
    # The worker re-ranked the queue with the new model, before anyone asked.
    assert not labelling.needs_ranking(core, inbox)
    served = labelling.next_items(core, inbox, "client:t", limit=3)
    assert all(item["suggestion"] in ("ham", "spam") for item in served)

    assert label_some(core, inbox, 5) == []  # 5 of the 6 labels a retraining waits for
    queued = label_some(core, inbox, 1)
    assert len(queued) == 1 and queued[0].startswith("retraining job")
    # Labels are feedback: one pool for the retraining.
    pool = load_feedback(core.store, inbox.id)
    assert len(pool) == 14 and all(f.prediction_id < 0 for f in pool)
    retrain_id = int(queued[0].split()[2])
    assert run_job(core, retrain_id)
    job = get_job(core.store, retrain_id)
    assert job.status == "succeeded", job.error
    assert job.result["data"]["feedback"]["texts"] == 14


def test_a_label_added_later_gets_a_fresh_model(core, inbox, tmp_path):
    label_some(core, inbox, 4, only="spam")
    job_id = int(label_some(core, inbox, 4, only="ham")[0].split()[2])
    run_job(core, job_id)
    first = core.registry(inbox).active_id()
    projects.add_labels(core.store, inbox, ["dinner"])
    project = core.project("inbox")
    queued = []
    for item in labelling.next_items(core, project, "client:t", limit=50):
        if "dinner" in item["text"] and len(queued) < 4:
            labelling.label(core, project, item["id"], "dinner", "client:t")
            queued.append(label_training.after_label(core, project))
    assert queued[:3] == [None, None, None]
    assert queued[3] is not None and "new labels ['dinner']" in queued[3]
    run_job(core, int(queued[3].split()[2]))
    assert core.registry(project).active_id() != first
    assert "dinner" in core.registry(project).active().labels


def test_zero_turns_the_trigger_off(core, inbox):
    project = projects.update(
        core.store, core.settings, inbox, project_settings={"labels_before_first_model": 0}
    )
    assert label_some(core, project, 12) == []
