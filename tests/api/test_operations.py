"""What operators and client generators use: health, readiness, metrics, OpenAPI, docs."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from tagloop import create_app
from tagloop.store.db import make_sessionmaker
from tests.api.helpers import SPAM, error_of


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite only: nothing here depends on the database (the other API tests run on both)."""
    return f"sqlite:///{tmp_path / 'tagloop.db'}"


def metric_samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_with_a_model_and_a_database(client, active_version):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "model": f"version {active_version}",
        },
    }


def test_readyz_is_503_without_a_model(settings):
    app = create_app(settings)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "not ready"
        assert body["checks"]["database"] == "ok"
        assert "has no active model" in body["checks"]["model"]
    finally:
        app.extensions["tagloop.core"].store.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a trigger: SQLite
def test_a_prediction_that_cannot_be_written_is_not_acknowledged(app, client, count_rows):
    engine = app.extensions["tagloop.core"].store.engine
    refuse = "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON predictions {refuse}"))
    response = client.post("/api/v1/classify", json={"text": SPAM})
    assert response.status_code == 503
    assert error_of(response)["code"] == "database_unavailable"
    assert response.headers["Retry-After"]
    assert "disk full" not in response.get_data(as_text=True)  # nothing of the internals
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    assert count_rows() == 0
    assert client.post("/api/v1/classify", json={"text": SPAM}).status_code == 200
    assert count_rows() == 1


def test_readyz_is_503_when_the_database_is_gone(app, client):
    client.get("/readyz")  # the model is loaded
    store = app.extensions["tagloop.core"].store
    store.engine.dispose()
    store.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    store.sessions = make_sessionmaker(store.engine)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"].startswith("error: ")
    assert client.get("/healthz").status_code == 200  # alive: only not ready
    listed = client.get("/api/v1/models")
    assert listed.status_code == 503 and error_of(listed)["code"] == "database_unavailable"
    assert listed.headers["Retry-After"]


def test_metrics_are_prometheus_text(client, active_version):
    # The registry is process-wide (other tests count into it too): measure the change.
    before = metric_samples(client.get("/metrics").get_data(as_text=True))
    spam = client.post("/api/v1/classify", json={"text": SPAM}).get_json()
    client.post("/api/v1/classify", json={"text": ""})
    client.post(f"/api/v1/predictions/{spam['id']}/feedback", json={"label": "spam"})

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["Content-Type"].count("charset") == 1
    assert response.mimetype == "text/plain"
    after = metric_samples(response.get_data(as_text=True))

    def grew(name: str, labels: tuple = ()) -> float:
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    ok = ("endpoint", "/api/v1/classify"), ("method", "POST"), ("status", "200")
    bad = ("endpoint", "/api/v1/classify"), ("method", "POST"), ("status", "422")
    assert grew("tagloop_http_requests_total", ok) == 1
    assert grew("tagloop_http_requests_total", bad) == 1
    latency = ("endpoint", "/api/v1/classify"), ("le", "+Inf"), ("method", "POST")
    assert grew("tagloop_http_request_duration_seconds_bucket", latency) == 2
    assert grew("tagloop_predictions_total", (("label", "spam"), ("project", "default"))) == 1
    assert grew("tagloop_predictions_total", (("label", "ham"), ("project", "default"))) == 0
    assert grew("tagloop_feedback_total", (("project", "default"),)) == 1
    assert after[("tagloop_active_model_version", (("project_id", "1"),))] == active_version


def test_info_names_the_model_labels_and_limits(client, active_version):
    body = client.get("/api/v1/info").get_json()
    assert body["active_model"] == {
        "id": active_version,
        "backend": "sklearn",
        "labels": ["ham", "spam"],
    }
    assert body["labels"] == ["ham", "spam"]
    assert body["label_names"] == {"ham": "not spam", "spam": "spam"}
    limits = {"max_text_length": 10_000, "max_batch": 1_000, "max_explain_batch": 50}
    assert body["limits"] == limits
    assert body["store_text"] is True
    assert body["project"]["slug"] == "default"
    assert body["project"]["active_version"] == active_version


def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    expected = {
        "/api/task": {"post"},
        "/api/tasks": {"get"},
        "/api/v1/classify": {"post"},
        "/api/v1/predictions": {"get"},
        "/api/v1/predictions/{prediction_id}": {"get"},
        "/api/v1/predictions/{prediction_id}/feedback": {"post"},
        "/api/v1/models": {"get"},
        "/api/v1/models/{model_id}": {"get"},
        "/api/v1/models/{model_id}/activate": {"post"},
        "/api/v1/models/rollback": {"post"},
        "/api/v1/stats": {"get"},
        "/healthz": {"get"},
        "/readyz": {"get"},
        "/metrics": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    assert "/" not in paths and "/{path}" not in paths
    classify = paths["/api/v1/classify"]["post"]
    schema = classify["requestBody"]["content"]["application/json"]["schema"]
    assert "ClassifyIn" in schema.get("$ref", "")
    assert "AdminToken" in spec["components"]["securitySchemes"]
    assert paths["/api/v1/models/rollback"]["post"]["security"] == [{"AdminToken": []}]


def test_interactive_docs_are_swagger_ui_5_from_this_server_with_no_inline_script(client):
    from tagloop.api.web import DOCS

    with client.get("/api/docs") as response:
        assert response.status_code == 200 and response.mimetype == "text/html"
        page = response.get_data(as_text=True)
    if not DOCS.is_dir():  # the web app's build puts the docs there (the browser test needs it)
        assert "not built" in page
        return
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all(
        'src="/api/docs/assets/' in attrs and not body for attrs, body in scripts
    )
    with client.get("/api/docs/assets/init.js") as init:
        assert "'/api/openapi.json'" in init.get_data(as_text=True)
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
        version = re.search(rb'PACKAGE_VERSION:"(\d+)\.', bundle.get_data())
    assert version and int(version.group(1)) >= 5  # 4.x cannot read an OpenAPI 3.1 document


def test_unknown_api_path_is_a_json_404_but_other_paths_get_the_web_app(client):
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.is_json
    with client.get("/models/3") as page:  # closes the streamed index.html
        assert page.status_code == 200 and page.mimetype == "text/html"


def test_request_metrics_use_the_route_not_the_url(client):
    client.get("/api/v1/predictions/12345")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="/api/v1/predictions/<int:prediction_id>"' in text
    assert "/api/v1/predictions/12345" not in text


def test_openapi_declares_every_status_the_server_adds(client):
    """Statuses from the layers around the views: a bad JSON body (400), a body too large
    (413) or of another media type (415), the admin check (401/403), the rate limit (429),
    the database down (503)."""
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert {"400", "413", "415"} <= responses.keys(), where
            if operation.get("security"):
                assert {"401", "403"} <= responses.keys(), where
            if path.startswith("/api/"):
                assert {"429", "503"} <= responses.keys(), where
    for prefix in ("/api/v1", "/api/v1/projects/{project}"):
        assert "409" in paths[f"{prefix}/retrain"]["post"]["responses"]
        assert "409" in paths[f"{prefix}/models/rollback"]["post"]["responses"]
        assert "409" in paths[f"{prefix}/jobs/{{job_id}}/cancel"]["post"]["responses"]
        assert (
            "409" in paths[f"{prefix}/predictions/{{prediction_id}}/feedback"]["post"]["responses"]
        )
        assert {"403", "404"} <= paths[f"{prefix}/models/compare"]["get"]["responses"].keys()
        assert "404" in paths[f"{prefix}/predictions"]["get"]["responses"]  # past the end
    metrics = paths["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]


def test_request_schemas_state_the_limits_the_server_enforces(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    classify = schemas["ClassifyIn"]
    assert classify["oneOf"] == [{"required": ["text"]}, {"required": ["texts"]}]
    assert classify["properties"]["text"]["maxLength"] == 10_000
    texts = classify["properties"]["texts"]
    assert (texts["minItems"], texts["maxItems"], texts["items"]["maxLength"]) == (1, 1000, 10_000)
    assert schemas["FeedbackIn"]["properties"]["label"]["minLength"] == 1
    assert schemas["ProjectIn"]["properties"]["labels"]["maxItems"] == 100
    query = client.get("/api/openapi.json").get_json()["paths"]["/api/v1/predictions"]["get"]
    feedback = next(p for p in query["parameters"] if p["name"] == "feedback")
    assert feedback["schema"]["enum"] == ["none", "given", "agree", "disagree"]
    # Every string the server reads refuses NUL, and the schema says so.
    assert "\\u0000" in schemas["FeedbackIn"]["properties"]["comment"]["pattern"]
