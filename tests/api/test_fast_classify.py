"""The plain one-text classify answered before Flask (``api/fast_classify.py``) answers as
the Flask route does: each request is sent once through the whole app and once straight
to Flask (the layer's inner app), and status, headers, body and stored row must match."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from prometheus_client import REGISTRY
from werkzeug.test import Client, TestResponse

from tagloop import create_app
from tagloop.api.fast_classify import FastClassify
from tagloop.service import users
from tagloop.service.projects import create as create_project
from tagloop.store.models import Prediction
from tests.api.helpers import HAM, SPAM

PER_PRODUCT_FIELDS = ("id", "created_at")  # differ between any two predictions


@pytest.fixture
def flask_calls(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Paths of the requests that reached Flask's request handling."""
    from flask import request

    calls: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append(request.path))
    return calls


@pytest.fixture
def flask_only(app) -> Client:  # type: ignore[no-untyped-def]
    """A client of the app without the fast layer: every request goes through Flask."""
    assert isinstance(app.wsgi_app, FastClassify)
    return Client(app.wsgi_app.app, TestResponse)


@pytest.fixture
def people(app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A viewer and an annotator of the default project, each with an API token."""
    store = app.extensions["tagloop.core"].store
    default = app.extensions["tagloop.core"].project()
    out = {}
    for role in ("viewer", "annotator"):
        users.create(store, role, "a long test password")
        users.grant(store, role, default, role)
        uid = users.get(store, role)["id"]
        out[role] = {"Authorization": f"Bearer {users.create_token(store, uid).token}"}
    return out


def both(client: Any, flask_only: Client, path: str, **request: Any) -> tuple[Any, Any]:
    return client.post(path, **request), flask_only.post(path, **request)


def assert_same(fast: Any, slow: Any) -> None:
    assert fast.status == slow.status
    assert list(fast.headers) == list(slow.headers)
    if fast.status_code == 200:
        one, other = fast.get_json(), slow.get_json()
        for a, b in zip(predictions(one), predictions(other), strict=True):
            for name in PER_PRODUCT_FIELDS:
                assert a.pop(name) != b.pop(name)
        assert one == other
        assert fast.headers["Content-Length"] == str(len(fast.data))
    else:
        assert fast.data == slow.data


def predictions(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The predictions of a one-text or a batch answer."""
    return answer.get("predictions", [answer])  # type: ignore[no-any-return]


def row(app, prediction_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with app.extensions["tagloop.core"].store.sessions() as session:
        found = session.get(Prediction, prediction_id)
        assert found is not None
        return {
            c.name: getattr(found, c.name)
            for c in Prediction.__table__.columns
            if c.name not in ("id", "created_at")
        }


@pytest.mark.parametrize("path", ["/api/v1/classify", "/api/v1/projects/default/classify"])
@pytest.mark.parametrize("caller", ["anonymous", "admin", "annotator"])
def test_a_plain_request_is_answered_before_flask_as_flask_answers_it(
    app, client, flask_only, flask_calls, people, admin_headers, path, caller
):
    headers = {"anonymous": {}, "admin": admin_headers, **people}[caller]
    fast, slow = both(client, flask_only, path, json={"text": SPAM}, headers=headers)
    assert flask_calls == [path], "the first request went through Flask, the second not"
    assert fast.status_code == 200 and fast.get_json()["label"] == "spam"
    assert_same(fast, slow)
    # Both are stored, alike; the fast one before its answer came back.
    assert row(app, fast.get_json()["id"]) == row(app, slow.get_json()["id"])
    assert row(app, fast.get_json()["id"])["source"] == "api"


def test_the_security_headers_and_the_worker_are_on_the_fast_answer(client, flask_calls):
    response = client.post("/api/v1/classify", json={"text": HAM})
    assert flask_calls == []
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Tagloop-Worker"].isdigit()
    assert response.headers["Vary"] == "Cookie"  # anonymous: the session cookie was looked at


LONG = "a" * 10_001  # past the default TAGLOOP_MAX_TEXT_LENGTH


@pytest.mark.parametrize(
    "request_",
    [
        {"json": {"text": ""}},
        {"json": {"text": "   \u200b "}},
        {"json": {"text": "nul \x00 here"}},
        {"json": {"text": LONG}},
        {"json": {"text": 5}},
        {"json": {"text": None}},
        {"json": {"text": HAM, "extra": 1}},
        {"json": {"text": HAM, "texts": [HAM]}},
        {"json": {"texts": [HAM, SPAM]}},
        {"json": {}},
        {"json": [HAM]},
        {"json": None},
        {"data": '{"text": "lone \\ud800 surrogate"}', "content_type": "application/json"},
        {"data": '{"text": "cut', "content_type": "application/json"},
        {"data": b'{"text": "\xff"}', "content_type": "application/json"},
        {"data": f'{{"text": "{HAM}"}}', "content_type": "text/plain"},
        {"data": f'{{"text": "{HAM}"}}', "content_type": "application/merge-patch+json"},
        {"data": f'{{"text": "{HAM}"}}'},
        {"data": b"", "content_type": "application/json"},
        {"data": "x" * 2_000_000, "content_type": "application/json"},
        {"json": {"text": HAM}, "query_string": {"explain": "true"}},
        {"json": {"text": HAM}, "query_string": {"explain": "false"}},
        {"json": {"text": HAM}, "query_string": {"explain": "maybe"}},
        {"json": {"text": HAM}, "headers": {"Authorization": "Bearer not-a-token"}},
        {"json": {"text": HAM}, "headers": {"Authorization": "Basic abc"}},
        {"json": {"text": HAM}, "headers": {"Content-Type": "application/json; charset=utf-8"}},
    ],
    ids=lambda r: repr(r)[:60],
)
def test_every_other_request_gets_the_flask_answer(client, flask_only, count_rows, request_):
    before = count_rows()
    fast, slow = both(client, flask_only, "/api/v1/classify", **request_)
    assert_same(fast, slow)
    answered = [predictions(r.get_json()) for r in (fast, slow) if r.status_code == 200]
    assert count_rows() - before == sum(len(p) for p in answered)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/nowhere/classify",
        "/api/v1/projects/default/classify/",
        "/api/v1//classify",
        "/api/v1/projects/a/b/classify",
    ],
)
def test_other_paths_get_the_flask_answer(client, flask_only, flask_calls, path):
    fast, slow = both(client, flask_only, path, json={"text": HAM})
    assert fast.status_code in (308, 404, 405)
    assert_same(fast, slow)
    assert flask_calls == [path, path]


def test_roles_are_enforced_alike(client, flask_only, people, admin_headers):
    client.patch(
        "/api/v1/projects/default",
        json={"settings": {"anonymous_classify": False}},
        headers=admin_headers,
    )
    for caller, status in (("anonymous", 401), ("viewer", 403), ("annotator", 200)):
        headers = people.get(caller, {})
        fast, slow = both(
            client, flask_only, "/api/v1/classify", json={"text": HAM}, headers=headers
        )
        assert (fast.status_code, slow.status_code) == (status, status), caller
        assert_same(fast, slow)


def test_a_project_of_its_own_is_served_and_stored_there(app, client, flask_only, admin_headers):
    the_core = app.extensions["tagloop.core"]
    create_project(the_core.store, the_core.settings, "other", project_settings={})
    # No model there yet: the 503 is the route's.
    fast, slow = both(client, flask_only, "/api/v1/projects/other/classify", json={"text": HAM})
    assert fast.status_code == 503
    assert_same(fast, slow)


def test_a_cookie_sends_the_request_through_flask(client, flask_calls):
    client.set_cookie("tagloop_client", "c" * 24)
    assert client.post("/api/v1/classify", json={"text": HAM}).status_code == 200
    assert flask_calls == ["/api/v1/classify"]


def test_the_fast_answer_is_counted_in_the_metrics(client, flask_only):
    requests = {"endpoint": "/api/v1/classify", "method": "POST", "status": "200"}
    spam = {"project": "default", "label": "spam"}

    def counts() -> tuple[float, float]:
        return (
            REGISTRY.get_sample_value("tagloop_http_requests_total", requests) or 0.0,
            REGISTRY.get_sample_value("tagloop_predictions_total", spam) or 0.0,
        )

    before = counts()
    both(client, flask_only, "/api/v1/classify", json={"text": SPAM})
    after = counts()
    assert (after[0] - before[0], after[1] - before[1]) == (2, 2)


@pytest.mark.parametrize(
    "changes", [{"rate_limit": "100 per minute"}, {"cors_origins": ["https://a.example"]}]
)
def test_with_a_rate_limit_or_cors_every_request_goes_through_flask(
    settings, active_version, changes
):
    app = create_app(replace(settings, **changes))
    try:
        assert not isinstance(app.wsgi_app, FastClassify)
        response = app.test_client().post("/api/v1/classify", json={"text": HAM})
        assert response.status_code == 200
        if "rate_limit" in changes:
            assert response.headers["X-RateLimit-Limit"] == "100"
    finally:
        app.extensions["tagloop.core"].close()
