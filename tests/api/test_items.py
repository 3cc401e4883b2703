"""Importing unlabelled texts over the API: a project made with labels and no data, then
filled by JSON and by a file upload; refusals name the problem and store nothing."""

from __future__ import annotations

import io
import json

import pytest

from tagloop.store.models import Item
from tests.api.helpers import error_of


@pytest.fixture
def inbox(client, admin_headers):  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/projects",
        json={"slug": "inbox", "labels": [{"name": "bug"}, {"name": "billing"}]},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["active_version"] is None
    return "/api/v1/projects/inbox"


def test_json_bulk_import_collapses_duplicates(client, admin_headers, inbox, count_rows):
    response = client.post(
        f"{inbox}/items",
        json={"texts": ["a crash", "refund", "a crash"], "metadata": [{"id": 1}, None, {"id": 3}]},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {
        "source": "request",
        "rows": 3,
        "added": 2,
        "labelled": 0,
        "duplicates": 1,
        "already_present": 0,
    }
    assert count_rows(Item) == 2
    counts = client.get(f"{inbox}/items/counts").get_json()
    assert counts == {
        "items": 2,
        "labelled": 0,
        "skipped": 0,
        "open": 2,
        "by_label": {"bug": 0, "billing": 0},
    }


def test_file_upload_with_a_text_column(client, admin_headers, inbox, count_rows):
    data = {
        "file": (io.BytesIO(b"id,body\n1,first\n2,second\n"), "tickets.csv"),
        "text_column": "body",
    }
    response = client.post(f"{inbox}/items/file", data=data, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["added"] == 2
    assert response.get_json()["source"] == "tickets.csv"
    assert count_rows(Item) == 2


def test_bad_file_is_a_422_naming_the_line_and_stores_nothing(
    client, admin_headers, inbox, count_rows
):
    data = {"file": (io.BytesIO(b'text\nfine\n"broken\n'), "bad.csv")}
    response = client.post(f"{inbox}/items/file", data=data, headers=admin_headers)
    assert response.status_code == 422
    message = error_of(response)["message"]
    assert message.startswith("bad.csv:")
    assert "tmp" not in message  # the server's temporary path is not shown
    assert count_rows(Item) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"texts": ["ok", 3]}, "texts.1: Not a valid string"),
        ({"texts": ["ok", "  "]}, "request:2: text is blank"),
        ({"texts": ["ok"], "metadata": [5]}, "metadata"),
        ({"texts": []}, "texts"),
    ],
)
def test_bad_json_is_a_422_and_stores_nothing(
    client, admin_headers, inbox, count_rows, body, message
):
    response = client.post(f"{inbox}/items", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert message in error_of(response)["message"]
    assert count_rows(Item) == 0


def test_importing_needs_the_admin_token(client, inbox, count_rows):
    response = client.post(f"{inbox}/items", json={"texts": ["a"]})
    assert response.status_code == 401
    assert count_rows(Item) == 0


def test_export_and_label_studio_upload(client, admin_headers, inbox):
    client.post(f"{inbox}/items", json={"texts": ["+1 crash", "refund"]}, headers=admin_headers)
    for item in client.get(f"{inbox}/labelling/next?limit=2").get_json()["items"]:
        label = "bug" if "crash" in item["text"] else "billing"
        client.post(f"{inbox}/labelling/items/{item['id']}/label", json={"label": label})
    exported = client.get(f"{inbox}/items/export?format=csv")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    assert '"\'+1 crash","bug","client:' in exported.get_data(as_text=True)
    exported.close()  # a streamed answer holds its request's context until closed
    tasks = client.get(f"{inbox}/items/export?format=labelstudio")
    assert 'filename="inbox-labels.json"' in tasks.headers["Content-Disposition"]
    tasks_file = tasks.get_data()
    tasks.close()
    made = client.post(
        "/api/v1/projects", json={"slug": "copy", "labels": []}, headers=admin_headers
    )
    assert made.status_code == 201, made.get_json()
    uploaded = client.post(
        "/api/v1/projects/copy/items/file",
        data={"file": (io.BytesIO(tasks_file), "tasks.json")},
        headers=admin_headers,
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    assert (uploaded.get_json()["added"], uploaded.get_json()["labelled"]) == (2, 2)
    jsonl = client.get("/api/v1/projects/copy/items/export?format=jsonl").get_data(as_text=True)
    assert [json.loads(line)["labelled_by"] for line in jsonl.splitlines()] == ["admin:admin"] * 2
    assert client.get(f"{inbox}/items/export?format=xml").status_code == 422
