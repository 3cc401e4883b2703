"""Labelling over HTTP: who the caller is, next / label / skip / undo, adding a label on the
spot, and refusals as JSON errors."""

from __future__ import annotations

import pytest

from tests.api.helpers import error_of


@pytest.fixture
def inbox(client, admin_headers):  # type: ignore[no-untyped-def]
    client.post(
        "/api/v1/projects",
        json={"slug": "inbox", "labels": [{"name": "bug"}, {"name": "billing"}]},
        headers=admin_headers,
    )
    texts = [f"app crash number {i}" for i in range(5)] + [f"refund {i}" for i in range(5)]
    response = client.post(
        "/api/v1/projects/inbox/items", json={"texts": texts}, headers=admin_headers
    )
    assert response.status_code == 201
    return "/api/v1/projects/inbox/labelling"


def test_label_skip_undo_in_a_browser(client, inbox):
    first = client.get(f"{inbox}/next?limit=2").get_json()["items"]
    assert len(first) == 2
    cookie = client.get_cookie("tagloop_client")
    assert cookie is not None
    labelled = client.post(f"{inbox}/items/{first[0]['id']}/label", json={"label": "bug"})
    assert labelled.status_code == 200, labelled.get_json()
    assert labelled.get_json()["labelled_by"] == f"client:{cookie.value}"
    assert labelled.get_json()["status"] == "labelled"
    skipped = client.post(f"{inbox}/items/{first[1]['id']}/skip")
    assert skipped.get_json()["status"] == "skipped"
    again = client.post(f"{inbox}/items/{first[0]['id']}/label", json={"label": "bug"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "item_done"
    undone = client.post(f"{inbox}/undo")
    assert undone.get_json()["id"] == first[1]["id"]
    assert undone.get_json()["status"] == "open"
    counts = client.get("/api/v1/projects/inbox/items/counts").get_json()
    assert (counts["labelled"], counts["skipped"], counts["open"]) == (1, 0, 9)


def test_someone_else_cannot_take_a_held_item(app, client, inbox, admin_headers):
    held = client.get(f"{inbox}/next").get_json()["items"][0]
    other = app.test_client()
    theirs = other.get(f"{inbox}/next?limit=9").get_json()["items"]
    assert held["id"] not in {item["id"] for item in theirs}
    refused = other.post(f"{inbox}/items/{held['id']}/label", json={"label": "bug"})
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "item_assigned"
    # With the admin token the caller is the token's actor, not the browser.
    admin = {**admin_headers, "X-Tagloop-Actor": "ana"}
    left = other.get(f"{inbox}/next", headers=admin).get_json()["items"]
    assert left == []  # the two browsers hold all ten items
    mine = theirs[0]["id"]
    refused = other.post(f"{inbox}/items/{mine}/label", json={"label": "bug"}, headers=admin)
    assert refused.status_code == 409
    as_admin = other.post(
        f"{inbox}/items/{held['id']}/label",
        json={"label": "billing"},
        headers=admin,
    )
    assert as_admin.status_code == 409
    as_browser = other.post(f"{inbox}/items/{mine}/label", json={"label": "billing"})
    assert as_browser.get_json()["labelled_by"].startswith("client:")
    undone = other.post(f"{inbox}/undo", headers=admin)
    assert undone.status_code == 404  # "ana" labelled nothing


def test_a_label_can_be_added_on_the_spot(client, inbox):
    item = client.get(f"{inbox}/next").get_json()["items"][0]
    unknown = client.post(f"{inbox}/items/{item['id']}/label", json={"label": "login"})
    assert unknown.status_code == 409  # the project's labels decide: a conflict
    assert error_of(unknown)["code"] == "unknown_label"
    added = client.post(f"{inbox}/labels", json={"name": "login", "display": "Sign-in"})
    assert added.status_code == 201
    assert added.get_json()["labels"][-1] == {"name": "login", "display": "Sign-in"}
    ok = client.post(f"{inbox}/items/{item['id']}/label", json={"label": "login"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "next?limit=0", None, 422),
        ("get", "next?limit=51", None, 422),
        ("post", "items/99999999999999999999999/label", {"label": "bug"}, 404),
        ("post", "items/5/label", {}, 422),
        ("post", "undo", None, 404),
    ],
)
def test_bad_requests_are_json_errors(client, inbox, method, path, body, status):
    response = getattr(client, method)(f"{inbox}/{path}", json=body)
    assert response.status_code == status
    assert error_of(response)["message"]


def test_enough_labels_queue_the_first_model(client, inbox, admin_headers):
    client.patch(
        "/api/v1/projects/inbox",
        json={"settings": {"labels_before_first_model": 2}},
        headers=admin_headers,
    )
    for item in client.get(f"{inbox}/next?limit=10").get_json()["items"]:
        label = "bug" if "crash" in item["text"] else "billing"
        client.post(f"{inbox}/items/{item['id']}/label", json={"label": label})
    jobs = client.get("/api/v1/projects/inbox/jobs").get_json()["items"]
    # Newest first: the model, and before it (once both labels had an item) a ranking of
    # the queue by the labels so far — one, as none ran (no worker here).
    assert [(j["kind"], j["status"], j["requested_by"]) for j in jobs] == [
        ("train", "queued", "auto (labelling)"),
        ("rank", "queued", "auto (labelling)"),
    ]
