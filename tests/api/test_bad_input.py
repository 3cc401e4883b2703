"""Every kind of bad request gets a 4xx JSON error that names the problem, never a 500,
and a rejected request stores nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from tagloop import create_app
from tagloop.config import Settings
from tagloop.store import Store
from tagloop.store.models import Client, Feedback, Prediction
from tests.api.helpers import HAM, error_of
from tests.conftest import ADMIN_TOKEN, _postgres_database, default_registry

JSON = "application/json"


class Case(NamedTuple):
    method: str
    url: str  # {pid} is an existing prediction's id
    kwargs: dict[str, Any]
    status: int
    words: tuple[str, ...]  # the message must contain each (case-insensitive)
    admin: bool = False


def body(raw: str | bytes, content_type: str | None = JSON) -> dict[str, Any]:
    headers = {"Content-Type": content_type} if content_type else {}
    return {"data": raw, "headers": headers}


def chunked(raw: bytes) -> dict[str, Any]:
    """A body sent with ``Transfer-Encoding: chunked`` and no length, as servers pass it on."""
    return {
        "input_stream": io.BytesIO(raw),
        "headers": {"Content-Type": JSON, "Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input_terminated": True},
    }


C = "/api/v1/classify"
F = "/api/v1/predictions/{pid}/feedback"
CASES = {
    # The body itself
    "invalid JSON": Case("POST", C, body('{"text": "hi"'), 400, ("not valid JSON",)),
    "JSON with single quotes": Case("POST", C, body("{'text': 'hi'}"), 400, ("not valid JSON",)),
    "invalid UTF-8": Case("POST", C, body(b'{"text": "caf\xe9"}'), 400, ("not valid UTF-8",)),
    "lone surrogate": Case("POST", C, body('{"text": "a \\ud800 b"}'), 422, ("text", "Unicode")),
    "text/plain": Case(
        "POST", C, body('{"text": "hi"}', "text/plain"), 415, ("application/json", "text/plain")
    ),
    "form post": Case("POST", C, {"data": {"text": "hi"}}, 415, ("application/json", "form")),
    "no content type": Case("POST", C, body('{"text": "hi"}', None), 415, ("no Content-Type",)),
    "empty body": Case("POST", C, body(""), 422, ("text",)),
    "JSON null": Case("POST", C, body("null"), 422, ("JSON object",)),
    "JSON list": Case("POST", C, body('["hi"]'), 422, ("JSON object",)),
    "JSON string": Case("POST", C, body('"hi"'), 422, ("JSON object",)),
    "integer of 5,000 digits": Case(
        "POST", C, body('{"text": ' + "9" * 5000 + "}"), 400, ("not valid JSON", "digits")
    ),
    "nested 100,000 deep": Case(
        "POST", C, body("[" * 100_000 + "]" * 100_000), 400, ("not valid JSON", "deep")
    ),
    "body too large": Case("POST", C, body(b"x" * (16 * 1024 * 1024 + 1)), 413, ("larger than",)),
    "chunked body too large": Case(
        "POST", C, chunked(b'{"text": "' + b"x" * (16 * 1024 * 1024) + b'"}'), 413, ("larger than",)
    ),
    # Fields
    "missing fields": Case("POST", C, {"json": {}}, 422, ("text",)),
    "both text and texts": Case(
        "POST", C, {"json": {"text": "a", "texts": ["b"]}}, 422, ("either",)
    ),
    "extra field": Case(
        "POST", C, {"json": {"text": "hi", "lang": "en"}}, 422, ("lang", "unknown")
    ),
    "text is a number": Case("POST", C, {"json": {"text": 5}}, 422, ("text", "string")),
    "text is null": Case("POST", C, {"json": {"text": None}}, 422, ("text", "null")),
    "text is a list": Case("POST", C, {"json": {"text": ["hi"]}}, 422, ("text", "string")),
    "text is empty": Case("POST", C, {"json": {"text": ""}}, 422, ("text", "empty")),
    "text is whitespace": Case("POST", C, {"json": {"text": " \n\t "}}, 422, ("text", "empty")),
    "text over the limit": Case(
        "POST", C, {"json": {"text": "a" * 10_001}}, 422, ("longer than 10,000",)
    ),
    "text with NUL": Case("POST", C, {"json": {"text": "a\x00b"}}, 422, ("NUL",)),
    "text of zero-width spaces": Case(
        "POST", C, {"json": {"text": "\u200b\u200b\u2060"}}, 422, ("text", "empty")
    ),
    "texts not a list": Case("POST", C, {"json": {"texts": "hi"}}, 422, ("texts", "list")),
    "texts empty": Case("POST", C, {"json": {"texts": []}}, 422, ("texts", "empty")),
    "texts with a blank": Case(
        "POST", C, {"json": {"texts": [HAM, "  "]}}, 422, ("texts.1", "empty")
    ),
    "texts with a number": Case(
        "POST", C, {"json": {"texts": [HAM, 3]}}, 422, ("texts.1", "string")
    ),
    "texts with a NUL": Case(
        "POST", C, {"json": {"texts": [HAM, "a\x00b"]}}, 422, ("texts.1", "NUL")
    ),
    "texts with a lone surrogate": Case(
        "POST", C, body('{"texts": ["hi", "a \\ud800 b"]}'), 422, ("texts.1", "Unicode")
    ),
    "texts with one of zero-width spaces": Case(
        "POST", C, {"json": {"texts": [HAM, " \u200b\u2060 "]}}, 422, ("texts.1", "empty")
    ),
    "texts with one too long": Case(
        "POST", C, {"json": {"texts": [HAM, "a" * 10_001]}}, 422, ("texts.1",)
    ),
    "too many texts": Case(
        "POST", C, {"json": {"texts": ["hi"] * 1001}}, 422, ("too many", "1,000")
    ),
    "explain not a boolean": Case(
        "POST", C + "?explain=maybe", {"json": {"text": "hi"}}, 422, ("explain",)
    ),
    # The tutorial's endpoint
    "task without title": Case("POST", "/api/task", {"json": {"text": "hi"}}, 422, ("title",)),
    "task title empty": Case(
        "POST", "/api/task", {"json": {"title": " "}}, 422, ("title", "empty")
    ),
    "task title a number": Case("POST", "/api/task", {"json": {"title": 1}}, 422, ("title",)),
    "task as text/plain": Case(
        "POST", "/api/task", body("hi", "text/plain"), 415, ("application/json",)
    ),
    # Predictions: ids and pagination
    "unknown prediction": Case(
        "GET", "/api/v1/predictions/987654", {}, 404, ("prediction 987654",)
    ),
    "prediction id past BIGINT": Case(
        "GET", "/api/v1/predictions/" + "9" * 25, {}, 404, ("does not exist",)
    ),
    "prediction id not a number": Case(
        "GET", "/api/v1/predictions/abc", {}, 404, ("no API endpoint",)
    ),
    "page 0": Case("GET", "/api/v1/predictions?page=0", {}, 422, ("page",)),
    "page negative": Case("GET", "/api/v1/predictions?page=-2", {}, 422, ("page",)),
    "page not a number": Case("GET", "/api/v1/predictions?page=two", {}, 422, ("page", "integer")),
    "page past the end": Case("GET", "/api/v1/predictions?page=9", {}, 404, ("page 9",)),
    "page past 64 bits": Case(
        "GET", "/api/v1/predictions?page=" + "9" * 20, {}, 422, ("page", "1000000")
    ),
    "model_version past 32 bits": Case(
        "GET", "/api/v1/predictions?model_version=9223372036854775808", {}, 422, ("model_version",)
    ),
    "misspelt filter": Case("GET", "/api/v1/predictions?lable=spam", {}, 422, ("lable", "unknown")),
    "label filter with NUL": Case(
        "GET", "/api/v1/predictions?label=%00", {}, 422, ("label", "NUL")
    ),
    "search with NUL": Case("GET", "/api/v1/predictions?q=a%00", {}, 422, ("q", "NUL")),
    "export with a bad filter": Case(
        "GET", "/api/v1/predictions/export?model_version=" + "9" * 19, {}, 422, ("model_version",)
    ),
    "unknown stats parameter": Case("GET", "/api/v1/stats?bogus=1", {}, 422, ("bogus",)),
    "compare past 32 bits": Case(
        "GET", "/api/v1/models/compare?a=1&b=" + "9" * 14, {}, 422, ("b",)
    ),
    "per_page too big": Case("GET", "/api/v1/predictions?per_page=501", {}, 422, ("per_page",)),
    "bad feedback state": Case("GET", "/api/v1/predictions?feedback=maybe", {}, 422, ("feedback",)),
    "confidence over 1": Case(
        "GET", "/api/v1/predictions?min_confidence=1.5", {}, 422, ("min_confidence",)
    ),
    "since not a time": Case(
        "GET", "/api/v1/predictions?since=yesterday", {}, 422, ("since", "datetime")
    ),
    "model_version not a number": Case(
        "GET", "/api/v1/predictions?model_version=x", {}, 422, ("model_version",)
    ),
    "stats days not a number": Case("GET", "/api/v1/stats?days=many", {}, 422, ("days",)),
    # Feedback
    "feedback without label": Case("POST", F, {"json": {"comment": "x"}}, 422, ("label",)),
    "feedback unknown label": Case(
        "POST", F, {"json": {"label": "eggs"}}, 409, ("eggs", "not one of")
    ),
    "feedback label a number": Case("POST", F, {"json": {"label": 1}}, 422, ("label",)),
    "feedback empty label": Case("POST", F, {"json": {"label": ""}}, 422, ("label",)),
    "feedback extra field": Case(
        "POST", F, {"json": {"label": "ham", "score": 1}}, 422, ("score",)
    ),
    "feedback comment with NUL": Case(
        "POST", F, {"json": {"label": "ham", "comment": "a\x00b"}}, 422, ("comment", "NUL")
    ),
    "feedback comment too long": Case(
        "POST", F, {"json": {"label": "ham", "comment": "x" * 2001}}, 422, ("comment",)
    ),
    "feedback invalid JSON": Case("POST", F, body("{label: ham}"), 400, ("not valid JSON",)),
    "feedback on unknown prediction": Case(
        "POST",
        "/api/v1/predictions/987654/feedback",
        {"json": {"label": "ham"}},
        404,
        ("prediction 987654",),
    ),
    # Models
    "unknown model": Case("GET", "/api/v1/models/4242", {}, 404, ("model version 4242",)),
    "model id past INTEGER": Case(
        "GET", "/api/v1/models/" + "9" * 12, {}, 404, ("does not exist",)
    ),
    "activate unknown model": Case(
        "POST", "/api/v1/models/4242/activate", {}, 404, ("4242",), admin=True
    ),
    "activate with a bad reason": Case(
        "POST", "/api/v1/models/1/activate", {"json": {"reason": 5}}, 422, ("reason",), admin=True
    ),
    "rollback with an extra field": Case(
        "POST", "/api/v1/models/rollback", {"json": {"to": 1}}, 422, ("to",), admin=True
    ),
    "rollback with a NUL reason": Case(
        "POST", "/api/v1/models/rollback", {"json": {"reason": "\x00"}}, 422, ("NUL",), admin=True
    ),
    "rollback without the token, bad body": Case(
        "POST", "/api/v1/models/rollback", {"json": {"to": 1}}, 401, ("admin token",)
    ),
    "rollback without the token, not JSON": Case(
        "POST", "/api/v1/models/rollback", body("x", "text/plain"), 401, ("admin token",)
    ),
    # Wrong method and unknown paths
    "GET classify": Case("GET", C, {}, 405, ("GET", "POST")),
    "PUT classify": Case("PUT", C, {"json": {"text": "hi"}}, 405, ("PUT", "POST")),
    "DELETE a prediction": Case("DELETE", "/api/v1/predictions/{pid}", {}, 405, ("DELETE", "GET")),
    "GET feedback": Case("GET", F, {}, 405, ("GET", "POST")),
    "POST predictions": Case("POST", "/api/v1/predictions", {"json": {}}, 405, ("POST", "GET")),
    "GET task": Case("GET", "/api/task", {}, 405, ("GET", "POST")),
    "POST tasks": Case("POST", "/api/tasks", {"json": {}}, 405, ("POST", "GET")),
    "unknown API path": Case("GET", "/api/v2/classify", {}, 404, ("no API endpoint",)),
    "unknown API path POST": Case(
        "POST", "/api/v1/clasify", {"json": {"text": "hi"}}, 404, ("no API endpoint",)
    ),
}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared_app(request, tmp_path_factory, trained) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """One app per database for all the cases: each case counts rows before and after."""
    tmp = tmp_path_factory.mktemp("bad_input")
    urls = (
        iter([f"sqlite:///{tmp / 'tagloop.db'}"])
        if request.param == "sqlite"
        else _postgres_database()
    )
    settings = Settings(
        home=tmp / "home",
        database_url=next(urls),
        admin_token=ADMIN_TOKEN,
        secret_key="test-secret",
        rate_limit="",
        model_poll_seconds=0,
    )
    store = Store.open(settings)
    registry = default_registry(store, settings.home)
    registry.activate(registry.register(trained.model, **trained.registry_metadata()).id)
    app = create_app(settings)
    yield app
    app.extensions["tagloop.core"].store.close()
    store.close()
    next(urls, None)  # drops the PostgreSQL database


@pytest.fixture
def app(shared_app):  # type: ignore[no-untyped-def]
    return shared_app


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_request_is_a_4xx_json_error_and_stores_nothing(
    app, client, admin_headers, count_rows, case: Case
):
    pid = client.post(C, json={"text": HAM}).get_json()["id"]
    before = {table: count_rows(table) for table in (Prediction, Feedback, Client)}
    kwargs = dict(case.kwargs)
    if "input_stream" in kwargs:  # a stream is read once: each run gets its own
        kwargs["input_stream"] = io.BytesIO(kwargs["input_stream"].getvalue())
    if case.admin:
        kwargs["headers"] = {**kwargs.get("headers", {}), **admin_headers}

    response = client.open(case.url.format(pid=pid), method=case.method, **kwargs)

    assert response.status_code == case.status, response.get_data(as_text=True)
    error = error_of(response)
    for word in case.words:
        assert word.lower() in error["message"].lower(), error
    if case.status == 405:
        assert case.words[1] in response.headers["Allow"]
    assert {table: count_rows(table) for table in before} == before


def test_a_new_client_sending_bad_input_gets_no_client_row(app, count_rows):
    before = count_rows(Client), count_rows(Prediction)
    response = app.test_client().post(C, json={"text": ""})
    assert response.status_code == 422
    assert "Set-Cookie" not in response.headers
    assert (count_rows(Client), count_rows(Prediction)) == before


def test_a_chunked_body_under_the_limit_is_read_whole(client):
    response = client.post(C, **chunked(b'{"texts": ["' + b"a" * 5000 + b'", "hi"]}'))
    assert response.status_code == 200, response.get_json()
    assert [p["text"] for p in response.get_json()["predictions"]] == ["a" * 5000, "hi"]
