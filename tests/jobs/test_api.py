"""The loop's endpoints through Flask's test client: retrain, jobs, cancel, review, compare."""

from __future__ import annotations

from typing import Any

import pytest

from tagloop.service.job_state import claim, get_job
from tests.api.helpers import error_of


@pytest.fixture
def store(app):  # type: ignore[no-untyped-def]
    return app.extensions["tagloop.core"].store


def start(client, admin_headers, **body: Any):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/retrain", json=body, headers=admin_headers)


def test_retrain_needs_the_admin_token(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/retrain", json={})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_retrain_queues_a_job_and_refuses_a_second(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    response = start(client, admin_headers, reason="new feedback", params={"alpha": 0.5})
    assert response.status_code == 202
    job = response.get_json()
    assert {
        "id",
        "kind",
        "status",
        "progress",
        "stage",
        "log",
        "created_at",
        "started_at",
        "finished_at",
        "error",
        "candidate_id",
        "result",
    } <= set(job)
    assert job["status"] == "queued" and job["kind"] == "retrain" and job["progress"] == 0
    assert job["params"] == {"reason": "new feedback", "params": {"alpha": 0.5}}
    assert job["requested_by"] == "admin"

    again = start(client, admin_headers)
    assert again.status_code == 409
    assert error_of(again)["code"] == "job_in_progress"
    assert error_of(again)["details"] == {"job_id": job["id"]}

    listed = client.get("/api/v1/jobs").get_json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert client.get(f"/api/v1/jobs/{job['id']}").get_json()["status"] == "queued"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alhpa": 0.5}, "has no parameter 'alhpa'"),
        ({"alpha": "small"}, "'alpha' must be a number"),
        ({"ngram_range": [5, 2]}, "ngram_range must be"),
    ],
)
def test_bad_backend_parameters_are_refused_before_queueing(  # type: ignore[no-untyped-def]
    client, admin_headers, params, message
) -> None:
    response = start(client, admin_headers, params=params)
    # The active version's backend decides which parameters exist: a conflict, not a
    # schema error (the OpenAPI document cannot know the backend).
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_params"
    assert message in error_of(response)["message"]
    assert client.get("/api/v1/jobs").get_json()["items"] == []


def test_jobs_are_listed_newest_first(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for _ in range(3):
        job = start(client, admin_headers).get_json()
        client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=admin_headers)
        ids.append(job["id"])
    assert [j["id"] for j in client.get("/api/v1/jobs").get_json()["items"]] == ids[::-1]
    assert len(client.get("/api/v1/jobs?limit=2").get_json()["items"]) == 2


def test_cancel(client, admin_headers, store) -> None:  # type: ignore[no-untyped-def]
    job = start(client, admin_headers).get_json()
    assert client.post(f"/api/v1/jobs/{job['id']}/cancel").status_code == 401
    response = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=admin_headers)
    assert again.status_code == 409 and error_of(again)["code"] == "job_finished"
    missing = client.post("/api/v1/jobs/999/cancel", headers=admin_headers)
    assert missing.status_code == 404

    running = start(client, admin_headers).get_json()
    claim(store, running["id"])
    response = client.post(f"/api/v1/jobs/{running['id']}/cancel", headers=admin_headers)
    body = response.get_json()
    assert body["status"] == "running" and body["cancel_requested"] is True


def test_unknown_job_is_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/jobs/12345")
    assert response.status_code == 404 and "12345" in error_of(response)["message"]


def test_enough_feedback_queues_a_retraining(app, client, store, admin_headers) -> None:  # type: ignore[no-untyped-def]
    setting = {"settings": {"auto_retrain_after": 2}}
    patched = client.patch("/api/v1/projects/default", json=setting, headers=admin_headers)
    assert patched.status_code == 200
    first = client.post("/api/v1/classify", json={"texts": ["hello there", "see you soon"]})
    ids = [p["id"] for p in first.get_json()["predictions"]]

    def feedback(pid: int, label: str) -> None:
        # The check runs when the response is closed, i.e. after it was sent.
        response = client.post(f"/api/v1/predictions/{pid}/feedback", json={"label": label})
        assert response.status_code == 200
        response.close()

    feedback(ids[0], "ham")
    assert client.get("/api/v1/jobs").get_json()["items"] == []
    feedback(ids[1], "spam")
    [job] = client.get("/api/v1/jobs").get_json()["items"]
    assert job["status"] == "queued" and job["requested_by"] == "auto"
    assert "2 feedback items" in job["params"]["reason"]
    assert "auto_retrain_after=2" in job["params"]["reason"]
    feedback(ids[1], "ham")
    assert len(client.get("/api/v1/jobs").get_json()["items"]) == 1  # one at a time
    assert get_job(store, job["id"]) is not None


def test_review_queue_disagreements_then_least_confident(client) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "Ok see you at home",
        "URGENT! You have won a 1 week FREE membership in our £100,000 Prize Jackpot!",
        "Call me",
        "Call me",  # a repeat: listed once
        "Are you coming tonight?",
    ]
    predictions = client.post("/api/v1/classify", json={"texts": texts}).get_json()["predictions"]
    disagree, agree = predictions[0], predictions[1]
    client.post(f"/api/v1/predictions/{disagree['id']}/feedback", json={"label": "spam"})
    client.post(f"/api/v1/predictions/{agree['id']}/feedback", json={"label": agree["label"]})

    items = client.get("/api/v1/review").get_json()["items"]
    ids = [p["id"] for p in items]
    assert ids[0] == disagree["id"]
    assert agree["id"] not in ids
    rest = items[1:]
    assert [p["text"] for p in rest].count("Call me") == 1
    assert [p["confidence"] for p in rest] == sorted(p["confidence"] for p in rest)
    assert {p["text"] for p in rest} == {"Call me", "Are you coming tonight?"} and len(rest) == 2
    assert len(client.get("/api/v1/review?limit=1").get_json()["items"]) == 1
    assert client.get("/api/v1/review?limit=0").status_code == 422


def test_compare_a_version_with_itself(client, active_version, admin_headers) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/models/compare?a={active_version}&b={active_version}"
    # Nothing stored for this pair: a reader is told so, and nothing is scored for them.
    missing = client.get(url)
    assert missing.status_code == 404
    error = error_of(missing)
    assert error["code"] == "comparison_not_stored" and "fresh=true" in error["message"]
    response = client.get(url + "&fresh=true", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["a"]["id"] == body["b"]["id"] == active_version and body["a"]["active"]
    # The fixed comparison set, scored by the same refit twice (both trained on it).
    assert body["eval_rows"] == body["a"]["eval_split"]["comparison_set"]["rows"]
    assert body["changed"] == [] and body["stored"] is False
    assert body["metrics"]["accuracy"]["delta"] == 0
    assert body["confusion_matrices"]["a"] == body["confusion_matrices"]["b"]


def test_compare_unknown_version_is_404(client, active_version) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/models/compare?a={active_version}&b=999")
    assert response.status_code == 404
    assert client.get("/api/v1/models/compare?a=1").status_code == 422


def test_the_endpoints_are_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/retrain",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/cancel",
        "/api/v1/review",
        "/api/v1/models/compare",
    ):
        assert path in paths
    assert "202" in paths["/api/v1/retrain"]["post"]["responses"]
