"""The model follows the labels: the first model after enough labels per label, the next ones
as the labels grow by a quarter (at most every M labels) — fresh from the labels while the
labelling owns the active model, a retraining under the promotion policy once a person chose
one — a fresh model for a label added later, and the queue re-ranked by the new model."""

from __future__ import annotations

import pytest

from tagloop.ml.retrain import load_feedback
from tagloop.service import items, jobs, label_training, labelling, projects
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


def first_model(core, project) -> int:  # type: ignore[no-untyped-def]
    """Label 4 spam and 4 ham, run the training that queues; the active version's id."""
    assert label_some(core, project, 4, only="spam") == []  # one label is not enough
    queued = label_some(core, project, 4, only="ham")
    assert len(queued) == 1 and queued[0].startswith("training job")
    job_id = int(queued[0].split()[2])
    assert get_job(core.store, job_id).requested_by == label_training.REQUESTED_BY
    assert run_job(core, job_id)
    assert get_job(core.store, job_id).status == "succeeded"
    active = core.registry(project).active()
    assert active is not None and sorted(active.labels) == ["ham", "spam"]
    return active.id


def test_first_model_then_fresh_ones_while_the_labelling_owns_the_model(core, inbox):
    first = first_model(core, inbox)
    # The worker re-ranked the queue with the new model, before anyone asked.
    assert not labelling.needs_ranking(core, inbox)
    served = labelling.next_items(core, inbox, "client:t", limit=3)
    assert all(item["suggestion"] in ("ham", "spam") for item in served)

    # 8 labels learnt: the next model is due after max(MIN_STEP, 8/4) = 5 more, not 6.
    assert label_some(core, inbox, 4) == []
    queued = label_some(core, inbox, 1)
    assert len(queued) == 1 and queued[0].startswith("training job")
    assert "5 labels since the last model, which learnt from 8" in queued[0]
    assert run_job(core, int(queued[0].split()[2]))
    second = core.registry(inbox).active()
    assert second is not None and second.id != first and second.data_rows == 13
    assert core.registry(inbox).history(limit=1)[0].actor == label_training.REQUESTED_BY
    assert not labelling.needs_ranking(core, inbox)  # re-ranked by the new model


def test_once_a_person_chose_the_model_the_schedule_retrains_under_the_policy(core, inbox):
    first = first_model(core, inbox)
    core.registry(inbox).activate(first, actor="admin:ann", reason="checked it")
    assert label_some(core, inbox, 4) == []
    queued = label_some(core, inbox, 1)
    assert len(queued) == 1 and queued[0].startswith("retraining job")
    # Labels are feedback: one pool for the retraining.
    pool = load_feedback(core.store, inbox.id)
    assert len(pool) == 13 and all(f.prediction_id < 0 for f in pool)
    retrain_id = int(queued[0].split()[2])
    assert run_job(core, retrain_id)
    job = get_job(core.store, retrain_id)
    assert job.status == "succeeded", job.error
    assert job.result["data"]["feedback"]["texts"] == 13
    assert core.registry(inbox).active_id() == first  # manual promotion: nothing changed


@pytest.mark.parametrize(
    ("trained_on", "every", "step"),
    [
        (0, 50, 5),
        (8, 50, 5),
        (20, 50, 5),
        (21, 50, 6),
        (100, 50, 25),
        (199, 50, 50),
        (5_000, 50, 50),
        (100, 10, 10),
        (8, 3, 3),
    ],
)
def test_the_next_model_is_due_as_the_labels_grow_by_a_quarter(trained_on, every, step):
    assert label_training.labels_before_next_model(trained_on, every) == step


def test_the_schedule() -> None:
    due = label_training.next_model
    # Before any model: two labels with `first` items each.
    assert due({"a": 8, "b": 7}, None, 15, first=8, every=50) is None
    assert due({"a": 8, "b": 8, "c": 1}, None, 17, first=8, every=50) == label_training.Due(
        True, "first model"
    )
    # A label the model lacks, once it has `first` items: a fresh model at once.
    fresh = due({"a": 20, "b": 20, "c": 8}, {"a", "b"}, 1, first=8, every=50)
    assert fresh is not None and fresh.fresh and "['c']" in fresh.reason
    # Otherwise after a quarter more labels than the model learnt from (here 40 → 10).
    assert due({"a": 25, "b": 24}, {"a", "b"}, 9, first=8, every=50) is None
    later = due({"a": 25, "b": 25}, {"a", "b"}, 10, first=8, every=50)
    assert later is not None and not later.fresh
    assert due({"a": 25, "b": 25}, {"a", "b"}, 10, first=8, every=0) is None  # 0: off


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


def test_before_any_model_the_labels_so_far_rank_the_queue(core, inbox):
    """Once two labels have an item, the worker re-ranks the queue by them, again each time
    the labels grow by a quarter; the first model's ranking takes over."""

    def rankings() -> list[dict]:  # type: ignore[type-arg]
        return [j for j in jobs.jobs(core, inbox) if j["kind"] == jobs.RANK]

    label_some(core, inbox, 3, only="spam")
    assert rankings() == []  # one label: nothing to learn from yet
    assert label_some(core, inbox, 1, only="ham") == []  # a ranking is no model
    (queued,) = rankings()
    assert queued["params"] == {"labels": 4} and queued["status"] == "queued"
    label_some(core, inbox, 1, only="ham")  # while one is queued, no second one
    assert len(rankings()) == 1
    assert run_job(core, queued["id"])
    done = get_job(core.store, queued["id"])
    assert done.status == "succeeded", done.error
    still_open = items.counts(core, inbox)["open"]
    assert done.result == {"ranked": still_open, "by": "the labels so far"}
    # Ranked at 4 labels: the next at 4 + 1 (a quarter, at least one) — 5 are given already.
    label_some(core, inbox, 1, only="ham")
    assert [j["params"] for j in rankings()] == [{"labels": 6}, {"labels": 4}]


def test_the_ranking_schedule() -> None:
    due = label_training.ranking_due
    assert not due({"a": 5}, None, 0)  # one label
    assert not due({"a": 5, "b": 0}, None, 0)
    assert due({"a": 1, "b": 1}, None, 0)
    assert not due({"a": 10, "b": 2}, None, 12)
    assert not due({"a": 12, "b": 2}, None, 12)  # 12 → 15 (a quarter)
    assert due({"a": 13, "b": 2}, None, 12)
    assert not due({"a": 20, "b": 20}, {"a", "b"}, 0)  # a model ranks the queue
