"""Security settings: the admin token check, the secret key, CORS, limits, rate limiting."""

from __future__ import annotations

import hmac
import stat
from dataclasses import replace

import pytest

from tagloop import create_app
from tagloop.secrets import load_secret_key
from tests.api.helpers import HAM, error_of


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite only: nothing here depends on the database (the other API tests run on both)."""
    return f"sqlite:///{tmp_path / 'tagloop.db'}"


@pytest.fixture
def make_app(settings, active_version):  # type: ignore[no-untyped-def]
    """Build an app with some settings changed; closed at the end of the test."""
    apps = []

    def make(**changes):  # type: ignore[no-untyped-def]
        app = create_app(replace(settings, **changes))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["tagloop.core"].store.close()


def test_admin_token_is_compared_in_constant_time(client, admin_headers, monkeypatch):
    calls = []
    original = hmac.compare_digest

    def compare(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr("tagloop.api.auth.hmac.compare_digest", compare)
    client.post("/api/v1/models/rollback", headers={"Authorization": "Bearer guess"})
    client.post("/api/v1/models/rollback", headers=admin_headers)
    assert calls == [(b"guess", b"test-admin-token"), (b"test-admin-token", b"test-admin-token")]


def test_secret_key_is_generated_once_with_owner_only_permissions(settings):
    settings.secret_key = ""
    first = load_secret_key(settings)
    path = settings.home / "secret_key"
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(settings) == first


def test_secret_key_from_the_environment_wins(settings):
    settings.secret_key = "from-env"
    assert load_secret_key(settings) == "from-env"
    assert not (settings.home / "secret_key").exists()


def test_app_uses_the_generated_secret_key(make_app, settings):
    app = make_app(secret_key="")
    assert app.config["SECRET_KEY"] == (settings.home / "secret_key").read_text().strip()


def test_cors_only_for_configured_origins(make_app):
    client = make_app(cors_origins=["https://tagloop.example"]).test_client()
    allowed = client.options(
        "/api/v1/classify",
        headers={"Origin": "https://tagloop.example", "Access-Control-Request-Method": "POST"},
    )
    assert allowed.headers.get("Access-Control-Allow-Origin") == "https://tagloop.example"
    assert allowed.headers.get("Access-Control-Allow-Credentials") == "true"
    other = client.get("/api/v1/info", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    # A preflight carries no credentials: an admin endpoint answers it, then wants the token.
    preflight = client.options(
        "/api/v1/models/rollback",
        headers={
            "Origin": "https://tagloop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers.get("Access-Control-Allow-Origin") == "https://tagloop.example"
    unauthorised = client.post(
        "/api/v1/models/rollback", json={}, headers={"Origin": "https://tagloop.example"}
    )
    assert unauthorised.status_code == 401


def test_no_cors_headers_without_configured_origins(client):
    response = client.get("/api/v1/info", headers={"Origin": "https://tagloop.example"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_rate_limit_per_client(make_app, count_rows):
    limited = make_app(rate_limit="3 per minute")
    client = limited.test_client()
    statuses = [client.post("/api/v1/classify", json={"text": HAM}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]

    refused = client.post("/api/v1/classify", json={"text": HAM})
    error = error_of(refused)
    assert error["code"] == "rate_limited"
    assert "rate limit" in error["message"] and "3 per 1 minute" in error["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert count_rows() == 3
    # Health checks and metrics are never limited; another client has its own budget.
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))
    other = client.post(
        "/api/v1/classify", json={"text": HAM}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert other.status_code == 200


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for(make_app, hops):
    client = make_app(rate_limit="2 per minute", proxy_hops=hops).test_client()

    def via_proxy(real_client: str) -> int:
        return client.post(
            "/api/v1/classify",
            json={"text": HAM},
            headers={"X-Forwarded-For": real_client},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
        ).status_code

    statuses = [via_proxy("203.0.113.7"), via_proxy("203.0.113.7"), via_proxy("198.51.100.9")]
    # Trusting the proxy, the third caller has its own budget; not trusting it (the
    # default), the header is ignored — anyone could send one — and all share the proxy's.
    assert statuses == ([200, 200, 200] if hops else [200, 200, 429])
    # And behind an HTTPS proxy the client cookie is marked Secure (only when trusted).
    fresh = make_app(proxy_hops=hops).test_client()
    reply = fresh.get(
        "/api/v1/predictions?mine=true",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("tagloop_client=") and ("Secure" in cookie) == bool(hops)


def test_configured_limits_apply(make_app):
    client = make_app(max_text_length=20, max_batch=2, max_body_bytes=2000).test_client()
    assert client.post("/api/v1/classify", json={"text": "a" * 20}).status_code == 200
    too_long = client.post("/api/v1/classify", json={"text": "a" * 21})
    assert "longer than 20 characters" in error_of(too_long)["message"]
    too_many = client.post("/api/v1/classify", json={"texts": ["a", "b", "c"]})
    assert "the limit is 2" in error_of(too_many)["message"]
    too_big = client.post("/api/v1/classify", data="x" * 2001, content_type="application/json")
    assert too_big.status_code == 413
    assert "2,000 bytes" in error_of(too_big)["message"]


def test_unexpected_errors_are_a_generic_500(make_app, monkeypatch):
    app = make_app()
    monkeypatch.setattr(
        "tagloop.service.stats.utcnow", lambda: (_ for _ in ()).throw(RuntimeError("secret detail"))
    )
    response = app.test_client().get("/api/v1/stats")
    assert response.status_code == 500
    assert error_of(response) == {
        "code": "internal_error",
        "message": "internal server error",
        "details": None,
    }
    assert "secret detail" not in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"  # errors carry the headers too
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/api/v1/classify", 200),
        ("GET", "/api/v1/predictions/999999", 404),
        ("POST", "/api/v1/models/rollback", 401),
        ("GET", "/api/v1/classify", 405),
        ("GET", "/api/openapi.json", 200),
        ("GET", "/api/docs", 200),
        ("GET", "/healthz", 200),
        ("GET", "/metrics", 200),
        ("GET", "/", 200),
        ("GET", "/history", 200),
        ("GET", "/favicon.svg", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path, status):
    body = {"json": {"text": HAM}} if method == "POST" else {}
    response = client.open(path, method=method, **body)
    response.close()  # a file's response holds it open until then
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no other origin
    assert policy["default-src"] == "'self'"


def test_explaining_is_bounded_to_a_smaller_batch(client, count_rows) -> None:  # type: ignore[no-untyped-def]
    from tagloop.config import Settings

    cap = Settings().max_explain_batch
    at_cap = client.post("/api/v1/classify?explain=true", json={"texts": [HAM] * cap})
    assert at_cap.status_code == 200, at_cap.get_json()
    assert all(p["explanation"] for p in at_cap.get_json()["predictions"])
    before = count_rows()
    over = client.post("/api/v1/classify?explain=true", json={"texts": [HAM] * (cap + 1)})
    assert over.status_code == 413
    error = error_of(over)
    assert error["code"] == "explain_batch_too_large" and f"limit is {cap}" in error["message"]
    assert count_rows() == before  # refused before any work: nothing stored
    # The same batch without explanations is fine, and /info tells clients the cap.
    plain = client.post("/api/v1/classify", json={"texts": [HAM] * (cap + 1)})
    assert plain.status_code == 200
    assert client.get("/api/v1/info").get_json()["limits"]["max_explain_batch"] == cap


def test_a_fresh_comparison_is_for_those_who_may_retrain(
    client, active_version, admin_headers
) -> None:  # type: ignore[no-untyped-def]
    """Scoring two models inside the request is work an anonymous client must not cause:
    without ``fresh`` a comparison is only read (a stored one stays readable to anyone who may
    read the project: tests/test_loop.py), and a pair with none stored is a 404."""
    url = f"/api/v1/models/compare?a={active_version}&b={active_version}"
    assert error_of(client.get(url))["code"] == "comparison_not_stored"
    anonymous = client.get(url + "&fresh=true")
    assert anonymous.status_code == 401
    assert "retrain needs the admin token" in error_of(anonymous)["message"]
    wrong = client.get(
        url + "&fresh=true", headers={"Authorization": "Bearer not-the-token-at-all"}
    )
    assert wrong.status_code == 401
    admin = client.get(url + "&fresh=true", headers=admin_headers)
    assert admin.status_code == 200 and admin.get_json()["stored"] is False
    # A fresh comparison is not stored: reading the pair still scores nothing.
    assert client.get(url).status_code == 404
