"""Projects over the API: create, read, change, delete; every resource per project; an
upload that trains a project's first version; and the old routes on the default project."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.api.helpers import HAM, SPAM, error_of

TICKETS = Path(__file__).resolve().parents[1] / "fixtures" / "tickets.csv"
PER_PROJECT_GETS = [
    "info",
    "predictions",
    "predictions/export",
    "predictions/1",
    "models",
    "models/history",
    "models/1",
    "models/compare?a=1&b=1",
    "jobs",
    "jobs/1",
    "review",
    "stats",
]


def create(client, admin_headers, slug: str = "tickets", **body):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/projects", json={"slug": slug, **body}, headers=admin_headers)


def train_upload(client, admin_headers, slug: str = "tickets", data: bytes | None = None, **form):  # type: ignore[no-untyped-def]
    fields = {"text_column": "body", "label_column": "team", **form}
    fields["file"] = (io.BytesIO(data if data is not None else TICKETS.read_bytes()), "tickets.csv")
    return client.post(
        f"/api/v1/projects/{slug}/train",
        data=fields,
        headers=admin_headers,
        content_type="multipart/form-data",
    )


def run_queued_jobs(app) -> None:  # type: ignore[no-untyped-def]
    """Run what a ``tagloop worker`` would, in this process."""
    from tagloop.service.job_state import unfinished
    from tagloop.service.retrain import run_job

    core = app.extensions["tagloop.core"]
    for job in unfinished(core.store):
        run_job(core, job.id)


def test_projects_are_listed_with_the_default_one(client, active_version) -> None:  # type: ignore[no-untyped-def]
    [default] = client.get("/api/v1/projects").get_json()["items"]
    assert default["slug"] == "default"
    assert default["active_version"] == active_version
    assert default["labels"] == [
        {"name": "ham", "display": "not spam"},
        {"name": "spam", "display": "spam"},
    ]
    assert set(default["settings"]) == {
        "auto_retrain_after",
        "auto_promote_metric",
        "auto_promote_margin",
        "retention_days",
        "anonymous_classify",
        "costs",
        "labels_before_first_model",
        "retrain_after_labels",
        "anonymous_feedback",
    }
    assert default["settings"]["costs"] == {}  # the library default names no label


def test_creating_a_project_needs_the_admin_token_and_a_good_unique_name(
    client, admin_headers
) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/projects", json={"slug": "x"}).status_code == 401
    created = create(client, admin_headers, name="Ticket router", labels=[{"name": "bug"}])
    assert created.status_code == 201
    body = created.get_json()
    assert (body["slug"], body["name"], body["active_version"]) == (
        "tickets",
        "Ticket router",
        None,
    )
    assert body["labels"] == [{"name": "bug", "display": "bug"}]
    again = create(client, admin_headers)
    assert again.status_code == 409 and error_of(again)["code"] == "project_exists"
    bad = create(client, admin_headers, slug="Not OK")
    assert bad.status_code == 422 and "slug" in error_of(bad)["message"]


@pytest.mark.parametrize("path", PER_PROJECT_GETS)
def test_an_unknown_project_is_a_404_naming_it(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/projects/nope/{path}")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "project_not_found" and "'nope'" in error["message"]


def test_a_project_trained_from_an_upload_classifies_on_its_own(app, client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    assert create(client, admin_headers).status_code == 201
    # No model yet: classify says so, naming the project.
    empty = client.post("/api/v1/projects/tickets/classify", json={"text": "crash"})
    assert (
        empty.status_code == 503 and "'tickets' has no active model" in error_of(empty)["message"]
    )

    queued = train_upload(client, admin_headers)
    assert queued.status_code == 202, queued.get_json()
    job = queued.get_json()
    assert (job["kind"], job["status"]) == ("train", "queued")
    run_queued_jobs(app)
    done = client.get(f"/api/v1/projects/tickets/jobs/{job['id']}").get_json()
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["activated"] is True

    ticket = client.post("/api/v1/projects/tickets/classify", json={"text": "I was charged twice"})
    assert ticket.status_code == 200 and ticket.get_json()["label"] == "billing"
    spam = client.post("/api/v1/classify", json={"text": SPAM}).get_json()  # the default one
    assert spam["label"] == "spam"

    # Each project lists its own predictions, and finds only its own.
    tickets_ids = [
        p["id"] for p in client.get("/api/v1/projects/tickets/predictions").get_json()["items"]
    ]
    assert tickets_ids == [ticket.get_json()["id"]]
    assert client.get(f"/api/v1/projects/tickets/predictions/{spam['id']}").status_code == 404
    assert client.get(f"/api/v1/projects/default/predictions/{spam['id']}").status_code == 200
    info = client.get("/api/v1/projects/tickets/info").get_json()
    assert info["labels"] == ["billing", "bug", "feature"]
    assert info["project"]["active_version"] == done["candidate_id"]
    listed = {p["slug"]: p for p in client.get("/api/v1/projects").get_json()["items"]}
    assert listed["tickets"]["predictions"] == 1 and listed["default"]["predictions"] == 1


def test_a_bad_upload_is_refused_with_the_line_and_queues_nothing(
    app, client, admin_headers
) -> None:  # type: ignore[no-untyped-def]
    assert create(client, admin_headers).status_code == 201
    bad = b"body,team\nfine text,bug\n,billing\n"
    response = train_upload(client, admin_headers, data=bad)
    assert response.status_code == 422
    message = error_of(response)["message"]
    assert "tickets.csv" in message and ":3" in message and "/tmp" not in message
    assert client.get("/api/v1/projects/tickets/jobs").get_json()["items"] == []
    missing = train_upload(client, admin_headers, label_column="nope")
    assert missing.status_code == 422 and "nope" in error_of(missing)["message"]


def test_project_costs_are_validated_and_must_name_labels_of_the_upload(
    client, admin_headers
) -> None:  # type: ignore[no-untyped-def]
    assert create(client, admin_headers).status_code == 201
    bad = client.patch(
        "/api/v1/projects/tickets", json={"settings": {"costs": {"bug": 0}}}, headers=admin_headers
    )
    assert bad.status_code == 422
    patched = client.patch(
        "/api/v1/projects/tickets", json={"settings": {"costs": {"ham": 2}}}, headers=admin_headers
    )
    assert patched.status_code == 200 and patched.get_json()["settings"]["costs"] == {"ham": 2}
    refused = train_upload(client, admin_headers)
    assert refused.status_code == 422
    assert "'ham' that the data does not have" in error_of(refused)["message"]
    assert client.get("/api/v1/projects/tickets/jobs").get_json()["items"] == []


def test_a_project_can_be_changed_and_deleted_but_not_the_default(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    assert create(client, admin_headers).status_code == 201
    patched = client.patch(
        "/api/v1/projects/tickets",
        json={"description": "routes tickets", "settings": {"auto_retrain_after": 50}},
        headers=admin_headers,
    )
    assert patched.status_code == 200
    assert patched.get_json()["settings"]["auto_retrain_after"] == 50
    assert patched.get_json()["description"] == "routes tickets"
    assert client.patch("/api/v1/projects/tickets", json={}).status_code == 401
    deleted = client.delete("/api/v1/projects/tickets", headers=admin_headers)
    assert deleted.status_code == 204
    assert client.get("/api/v1/projects/tickets").status_code == 404
    default = client.delete("/api/v1/projects/default", headers=admin_headers)
    assert default.status_code == 409 and error_of(default)["code"] == "default_project"


def test_the_old_routes_and_the_tutorial_serve_the_default_project(client, active_version) -> None:  # type: ignore[no-untyped-def]
    old = client.post("/api/v1/classify", json={"text": HAM}).get_json()
    new = client.get(f"/api/v1/projects/default/predictions/{old['id']}")
    assert new.status_code == 200 and new.get_json()["text"] == HAM
    task = client.post("/api/task", json={"title": SPAM})
    assert task.get_json() == {"result": {"title": SPAM, "tag": "spam"}}
    assert client.get("/api/tasks").get_json()[0] == {"title": SPAM, "tag": "spam"}
    models_old = client.get("/api/v1/models").get_json()
    assert models_old == client.get("/api/v1/projects/default/models").get_json()
