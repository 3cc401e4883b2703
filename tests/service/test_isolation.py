"""Two projects in one database never touch each other: predictions, feedback, lists,
stats, retraining and promotion all stay inside their project."""

from __future__ import annotations

import pytest

from tagloop.service import jobs, models, predictions, stats
from tagloop.service.errors import NotFound
from tagloop.service.job_state import create_job, get_job
from tagloop.service.retrain import run_job
from tests.api.helpers import HAM, SPAM


def test_each_project_classifies_with_its_own_model_and_keeps_its_own_rows(core, tickets) -> None:  # type: ignore[no-untyped-def]
    sms = core.project()
    spam = predictions.classify(core, sms, [SPAM], source="api").predictions[0]
    ticket = predictions.classify(core, tickets, ["I was charged twice"], source="api")
    assert spam["label"] == "spam"
    assert ticket.predictions[0]["label"] == "billing"
    assert set(ticket.predictions[0]["probabilities"]) == {"billing", "bug", "feature"}

    listed = predictions.list_page(core, tickets, {}, page=1, per_page=50)
    assert [p["id"] for p in listed["items"]] == [ticket.predictions[0]["id"]]
    assert stats.stats(core, sms, 30)["total_predictions"] == 1
    # A prediction is found only in its own project.
    with pytest.raises(NotFound):
        predictions.get(core, tickets, spam["id"])
    with pytest.raises(NotFound):
        predictions.give_feedback(core, tickets, spam["id"], label="billing")
    # Each project's versions are its own.
    assert [v["id"] for v in models.list_versions(core, tickets)] == [
        tickets_version(core, tickets)
    ]
    with pytest.raises(NotFound):
        models.get_version(core, tickets, models.list_versions(core, sms)[0]["id"])


def tickets_version(core, project) -> int:  # type: ignore[no-untyped-def]
    return core.registry(project).active_id()


def test_feedback_labels_are_checked_against_the_project(core, tickets) -> None:  # type: ignore[no-untyped-def]
    from tagloop.service.errors import Conflict

    pid = predictions.classify(core, tickets, ["Add dark mode please"], source="api")
    with pytest.raises(Conflict, match="'spam' is not one of billing, bug, feature"):
        predictions.give_feedback(core, tickets, pid.predictions[0]["id"], label="spam")


def test_retraining_and_promotion_stay_inside_the_project(core, tickets) -> None:  # type: ignore[no-untyped-def]
    sms = core.project()
    sms_active = core.registry(sms).active_id()
    # Feedback in the SMS project only.
    for text in [HAM, SPAM, "see you at the station at 6"]:
        p = predictions.classify(core, sms, [text], source="api").predictions[0]
        predictions.give_feedback(core, sms, p["id"], label="ham")
    assert jobs.feedback_since_last_retrain(core, sms) == 3
    assert jobs.feedback_since_last_retrain(core, tickets) == 0

    # A retraining of the tickets project learns none of the SMS feedback …
    job = create_job(core.store, tickets.id, "retrain", requested_by="test")
    assert run_job(core, job.id)
    done = get_job(core.store, job.id)
    assert done is not None and done.status == "succeeded", done and done.error
    assert done.result["data"]["feedback"]["texts"] == 0
    candidate = core.registry(tickets).get(done.candidate_id)
    assert candidate.project_id == tickets.id and candidate.labels == ["billing", "bug", "feature"]

    # … and promoting it changes the tickets project's model only.
    models.activate(core, tickets, candidate.id, actor="test")
    assert core.registry(tickets).active_id() == candidate.id
    assert core.registry(sms).active_id() == sms_active
    assert models.history(core, sms)[0]["model_id"] == sms_active
    # One unfinished job per kind *per project*: both projects can queue a retraining.
    first = create_job(core.store, sms.id, "retrain")
    second = create_job(core.store, tickets.id, "retrain")
    assert first.id != second.id
