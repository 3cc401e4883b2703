"""``GET /api/v1/predictions`` (pages and filters) and ``GET /api/v1/predictions/{id}``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tagloop.store.models import Prediction
from tests.api.helpers import HAM, HAM_2, SPAM, SPAM_2, error_of

TEXTS = [SPAM, HAM, SPAM_2, HAM_2, HAM + " See you.", HAM_2 + " Thanks!"]


@pytest.fixture
def ids(app, client) -> list[int]:
    """Six stored predictions (2 spam, 4 ham) of one browser; ids in the order sent."""
    listed(client, "?mine=true")  # as the web app does when it opens: the browser gets its id
    body = client.post("/api/v1/classify", json={"texts": TEXTS}).get_json()
    assert [p["label"] for p in body["predictions"]] == ["spam", "ham", "spam", "ham", "ham", "ham"]
    return [p["id"] for p in body["predictions"]]


def listed(client, query: str = "") -> dict:
    response = client.get(f"/api/v1/predictions{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_list_is_newest_first_with_page_counts(client, ids):
    page = listed(client)
    assert [p["id"] for p in page["items"]] == ids[::-1]
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (1, 50, 6, 1)


def test_pages_split_the_list_without_overlap(client, ids):
    pages = [listed(client, f"?per_page=4&page={n}") for n in (1, 2)]
    assert [p["pages"] for p in pages] == [2, 2]
    assert [len(p["items"]) for p in pages] == [4, 2]
    seen = [item["id"] for p in pages for item in p["items"]]
    assert seen == ids[::-1]


def test_empty_list_has_one_empty_page(client):
    assert listed(client) == {"items": [], "page": 1, "per_page": 50, "total": 0, "pages": 1}


def test_page_past_the_end_is_404(client, ids):
    response = client.get("/api/v1/predictions?per_page=4&page=3")
    assert response.status_code == 404
    assert "page 3" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?label=spam", [2, 0]),
        ("?label=ham&per_page=2", [5, 4]),
        ("?label=nothing", []),
        ("?q=lunch", [5, 3]),
        ("?q=LUNCH", [5, 3]),
        ("?q=%25", []),  # a literal %, not a wildcard
        ("?q=_", []),  # a literal _, not a wildcard
        ("?q=prize%20reward", [0]),
        ("?label=ham&q=meeting", [5, 4, 3, 1]),
    ],
)
def test_filters(client, ids, query, expected):
    """``expected`` are indexes into TEXTS, newest first."""
    assert [item["id"] for item in listed(client, query)["items"]] == [ids[i] for i in expected]


def test_confidence_filter_bounds_the_confidences(client, ids):
    confidences = sorted(item["confidence"] for item in listed(client)["items"])
    middle = confidences[len(confidences) // 2]
    high = listed(client, f"?min_confidence={middle}")["items"]
    low = listed(client, f"?max_confidence={middle}")["items"]
    assert high and all(item["confidence"] >= middle for item in high)
    assert low and all(item["confidence"] <= middle for item in low)
    assert len(high) + len(low) >= len(ids)


def test_feedback_state_filters(client, ids):
    client.post(f"/api/v1/predictions/{ids[0]}/feedback", json={"label": "spam"})  # agrees
    client.post(f"/api/v1/predictions/{ids[1]}/feedback", json={"label": "spam"})  # disagrees

    def found(state: str) -> list[int]:
        return [item["id"] for item in listed(client, f"?feedback={state}")["items"]]

    assert found("given") == [ids[1], ids[0]]
    assert found("agree") == [ids[0]]
    assert found("disagree") == [ids[1]]
    assert found("none") == ids[:1:-1]


def test_model_version_filter(client, ids, active_version, app):
    engine = app.extensions["tagloop.core"].store.engine
    with engine.begin() as conn:
        conn.execute(update(Prediction).where(Prediction.id == ids[0]).values(model_version=999))
    assert [i["id"] for i in listed(client, "?model_version=999")["items"]] == [ids[0]]
    assert listed(client, f"?model_version={active_version}")["total"] == 5


def test_time_range_filter(client, ids, app):
    engine = app.extensions["tagloop.core"].store.engine
    old = datetime(2020, 1, 1, 12, 0)
    with engine.begin() as conn:
        conn.execute(update(Prediction).where(Prediction.id.in_(ids[:2])).values(created_at=old))
    before = listed(client, "?until=2020-01-02T00:00:00Z")["items"]
    assert sorted(i["id"] for i in before) == ids[:2]
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    recent = listed(client, "?since=" + since.replace("+", "%2B"))["items"]
    assert sorted(i["id"] for i in recent) == ids[2:]
    # An aware time in another zone means the same instant: 13:00+01:00 is 12:00 UTC.
    assert (
        listed(client, "?since=2020-01-01T13:00:00%2B01:00&until=2020-01-01T12:00:01Z")["total"]
        == 2
    )


def test_mine_lists_only_this_clients_predictions(app, client, ids):
    other = app.test_client()
    assert listed(other, "?mine=true")["total"] == 0  # a new browser: its id, no rows yet
    other.post("/api/v1/classify", json={"text": HAM})
    app.test_client(use_cookies=False).post("/api/v1/classify", json={"text": HAM})  # anonymous
    assert listed(client, "?mine=true")["total"] == 6
    assert listed(other, "?mine=true")["total"] == 1
    assert listed(app.test_client(), "?mine=true")["total"] == 0
    assert listed(client)["total"] == 8


def test_get_one_prediction(client, ids, active_version):
    response = client.get(f"/api/v1/predictions/{ids[0]}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == ids[0]
    assert body["text"] == SPAM
    assert body["label"] == "spam"
    assert body["model_version"] == active_version
    assert body["feedback"] is None
    assert body["feedback_history"] == []


def test_unknown_prediction_is_404(client, ids):
    response = client.get(f"/api/v1/predictions/{max(ids) + 1}")
    assert response.status_code == 404
    assert str(max(ids) + 1) in error_of(response)["message"]


def test_export_is_csv_of_the_filtered_rows(client, ids):
    response = client.get("/api/v1/predictions/export?label=spam")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,created_at,text,label")
    assert [line.split(",")[0] for line in lines[1:]] == [str(ids[2]), str(ids[0])]


def test_export_neutralises_cells_a_spreadsheet_would_run(client):
    formula = '=HYPERLINK("http://evil.example","click")'
    pid = client.post("/api/v1/classify", json={"text": formula}).get_json()["id"]
    text = client.get("/api/v1/predictions/export").get_data(as_text=True)
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows[str(pid)]["text"] == "'" + formula
    assert '"\'=HYPERLINK(""http://evil.example"",""click"")"' in text


@pytest.mark.parametrize(
    "bound",
    ["since=9999-12-31T23:59:59-14:00", "until=0001-01-01T00:00:00%2B14:00"],
)
def test_a_valid_time_past_the_ends_of_utc_is_a_bound_that_matches_nothing(client, classify, bound):
    # Valid ISO 8601 (the schema allows it) whose UTC falls outside years 1-9999: it means
    # "from the end" or "until the start" of time, not an error.
    classify(SPAM)
    response = client.get(f"/api/v1/predictions?{bound}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == []
    open_ended = (
        "since=0001-01-01T00:00:00%2B14:00"
        if "since" in bound
        else "until=9999-12-31T23:59:59-14:00"
    )
    assert len(client.get(f"/api/v1/predictions?{open_ended}").get_json()["items"]) == 1
