"""``POST /api/v1/predictions/{id}/feedback``: give, change, and keep every change."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tagloop.store.models import Feedback, Prediction
from tests.api.helpers import HAM, SPAM, error_of


@pytest.fixture
def spam_id(classify) -> int:
    body = classify(SPAM)
    assert body["label"] == "spam"
    return body["id"]  # type: ignore[no-any-return]


def feedback(client, prediction_id: int, **body: str):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/predictions/{prediction_id}/feedback", json=body)


def test_feedback_is_stored_with_comment_and_reviewer(client, spam_id, stored, count_rows):
    response = feedback(client, spam_id, label="spam", comment="obvious", reviewer="ana")

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == spam_id
    assert body["feedback"]["label"] == "spam"
    assert body["feedback"]["agrees"] is True
    assert body["feedback"]["comment"] == "obvious"
    assert body["feedback"]["reviewer"] == "ana"
    assert [h["label"] for h in body["feedback_history"]] == ["spam"]
    row = stored(spam_id)
    assert row is not None and row.feedback_label == "spam" and row.feedback_at is not None
    assert count_rows(Feedback) == 1


def test_changing_feedback_keeps_every_change(client, spam_id, count_rows, app):
    feedback(client, spam_id, label="ham", comment="looked fine to me", reviewer="ana")
    response = feedback(client, spam_id, label="spam", comment="no, it is spam", reviewer="ben")

    assert response.status_code == 200
    body = response.get_json()
    assert body["feedback"]["label"] == "spam"
    assert body["feedback"]["reviewer"] == "ben"
    assert body["feedback"]["agrees"] is True
    history = body["feedback_history"]
    assert [(h["label"], h["reviewer"], h["comment"]) for h in history] == [
        ("ham", "ana", "looked fine to me"),
        ("spam", "ben", "no, it is spam"),
    ]
    assert history[0]["created_at"] <= history[1]["created_at"]
    assert count_rows(Feedback) == 2
    assert count_rows(Prediction) == 1
    # The detail view shows the same history.
    detail = client.get(f"/api/v1/predictions/{spam_id}").get_json()
    assert detail["feedback_history"] == history


def test_reviewer_defaults_to_the_header_then_the_client(client, spam_id):
    anonymous = feedback(client, spam_id, label="spam")
    assert anonymous.status_code == 200
    client_id = client.get_cookie("tagloop_client").value
    assert anonymous.get_json()["feedback"]["reviewer"] == client_id

    response = client.post(
        f"/api/v1/predictions/{spam_id}/feedback",
        json={"label": "ham"},
        headers={"X-Tagloop-Reviewer": "carla"},
    )
    assert response.get_json()["feedback"]["reviewer"] == "carla"


def test_disagreeing_feedback_is_marked(client, classify):
    ham = classify(HAM)
    body = feedback(client, ham["id"], label="spam").get_json()
    assert body["label"] == "ham"
    assert body["feedback"] == {**body["feedback"], "label": "spam", "agrees": False}


def test_label_must_be_one_of_the_models_labels(client, spam_id, count_rows):
    response = feedback(client, spam_id, label="eggs")
    assert response.status_code == 409  # well-formed, but not among the stored labels
    error = error_of(response)
    assert error["code"] == "unknown_label"
    assert "eggs" in error["message"] and "ham" in error["message"]
    assert count_rows(Feedback) == 0


def test_feedback_on_an_unknown_prediction_is_404(client, spam_id, count_rows):
    response = feedback(client, spam_id + 1, label="spam")
    assert response.status_code == 404
    assert f"prediction {spam_id + 1}" in error_of(response)["message"]
    assert count_rows(Feedback) == 0


def test_feedback_is_counted(client, spam_id):
    labels = {"project": "default"}
    before = REGISTRY.get_sample_value("tagloop_feedback_total", labels) or 0.0
    feedback(client, spam_id, label="spam")
    feedback(client, spam_id, label="ham")
    assert (REGISTRY.get_sample_value("tagloop_feedback_total", labels) or 0.0) - before == 2
