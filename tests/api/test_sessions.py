"""Web sign-in: the session cookie's flags, CSRF, expiry, sign-out and brute force."""

from __future__ import annotations

import pytest

from tagloop.service import users
from tests.api.helpers import error_of

PASSWORD = "a long test password"


@pytest.fixture
def maintainer(app) -> str:  # type: ignore[no-untyped-def]
    the_core = app.extensions["tagloop.core"]
    users.create(the_core.store, "root", PASSWORD, admin=True)
    users.create(the_core.store, "mia", PASSWORD, name="Mia")
    users.grant(the_core.store, "mia", the_core.project(), "maintainer")
    return "mia"


def login(client, who: str = "mia", password: str = PASSWORD, **kwargs):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", json={"login": who, "password": password}, **kwargs)


def test_signing_in_sets_a_protected_cookie_and_me_names_the_user(app, maintainer):
    client = app.test_client()
    response = login(client, base_url="https://localhost")
    assert response.status_code == 200, response.get_json()
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if "tagloop_session=" in v)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    me = client.get("/api/v1/auth/me", base_url="https://localhost").get_json()
    assert me["user"]["name"] == "Mia" and me["user"]["roles"] == {"default": "maintainer"}
    assert me["csrf_token"] and not me["open"]


def test_the_cookie_is_not_secure_over_plain_http(client, maintainer):
    cookie = next(v for v in login(client).headers.getlist("Set-Cookie") if "tagloop_session=" in v)
    assert "Secure" not in cookie


def test_state_changes_need_the_csrf_token_and_our_origin(client, maintainer):
    csrf = login(client).get_json()["csrf_token"]
    patch = {"json": {"description": "changed"}}
    missing = client.patch("/api/v1/projects/default", **patch)
    assert missing.status_code == 403 and error_of(missing)["code"] == "csrf_failed"
    other_site = client.patch(
        "/api/v1/projects/default",
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
        **patch,
    )
    assert other_site.status_code == 403 and "evil.example" in error_of(other_site)["message"]
    wrong = client.patch("/api/v1/projects/default", headers={"X-CSRF-Token": "x" + csrf}, **patch)
    assert wrong.status_code == 403
    ok = client.patch(
        "/api/v1/projects/default",
        headers={"X-CSRF-Token": csrf, "Origin": "http://localhost"},
        **patch,
    )
    assert ok.status_code == 200 and ok.get_json()["description"] == "changed"
    assert client.get("/api/v1/stats").status_code == 200  # reads need no token


def test_sign_in_from_another_site_is_refused(client, maintainer):
    response = login(client, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get("/api/v1/auth/me").get_json()["user"] is None


def test_an_expired_session_must_sign_in_again(client, maintainer):
    login(client)
    with client.session_transaction() as session:
        session["iat"] -= 13 * 3600  # TAGLOOP_SESSION_HOURS is 12
    response = client.get("/api/v1/stats")
    assert response.status_code == 401
    assert error_of(response)["code"] == "session_expired"
    assert client.get("/api/v1/auth/me").get_json()["user"] is None


def test_signing_out_and_a_new_password_end_the_session(app, client, maintainer):
    login(client)
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/stats").status_code == 401
    login(client)
    users.update(app.extensions["tagloop.core"].store, "mia", password="another long password")
    assert error_of(client.get("/api/v1/stats"))["code"] == "session_expired"


def test_a_disabled_user_loses_the_session_at_once(app, client, maintainer):
    login(client)
    users.update(app.extensions["tagloop.core"].store, "mia", disabled=True)
    assert client.get("/api/v1/stats").status_code == 401


def test_wrong_passwords_lock_the_account_with_a_clear_message(client, maintainer):
    for _ in range(users.MAX_FAILED_LOGINS):
        wrong = login(client, password="not the password")
        assert wrong.status_code == 401 and error_of(wrong)["code"] == "invalid_credentials"
    locked = login(client)
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "locked_out"
    assert "locked for 15 more minutes" in error_of(locked)["message"]


def test_sign_in_attempts_are_rate_limited_per_address(settings, active_version):
    from tagloop import create_app

    settings.login_rate_limit = "3 per minute"
    app = create_app(settings)
    try:
        client = app.test_client()
        codes = [login(client, "nobody").status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
    finally:
        app.extensions["tagloop.core"].close()


def test_a_viewer_is_refused_every_write(app, client):
    the_core = app.extensions["tagloop.core"]
    users.create(the_core.store, "root", PASSWORD, admin=True)
    users.create(the_core.store, "vic", PASSWORD)
    users.grant(the_core.store, "vic", the_core.project(), "viewer")
    csrf = login(client, "vic").get_json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    for method, path in [
        ("post", "/api/v1/predictions/1/feedback"),
        ("post", "/api/v1/models/1/activate"),
        ("post", "/api/v1/models/rollback"),
        ("post", "/api/v1/retrain"),
        ("post", "/api/v1/jobs/1/cancel"),
        ("patch", "/api/v1/projects/default"),
        ("delete", "/api/v1/projects/default"),
        ("post", "/api/v1/projects/default/train"),
        ("post", "/api/v1/projects"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/classify"),
    ]:
        response = getattr(client, method)(path, json={}, headers=headers)
        if path.endswith("classify"):  # the default project lets anyone classify
            assert response.status_code == 422, path
            continue
        assert response.status_code == 403, (method, path, response.status_code)
        assert error_of(response)["code"] == "forbidden"


def _cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie("tagloop_session")
    assert cookie is not None
    return cookie.value


def test_a_copied_cookie_dies_when_its_session_is_signed_out(app, client, maintainer):
    """The signed cookie alone is not enough: its session must still exist on the server."""
    login(client)
    copy = app.test_client()
    copy.set_cookie("tagloop_session", _cookie(client))
    assert copy.get("/api/v1/stats").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    response = copy.get("/api/v1/stats")
    assert response.status_code == 401
    assert error_of(response)["code"] == "session_expired"


def test_signing_out_everywhere_ends_every_browser_but_not_the_tokens(app, client, maintainer):
    store = app.extensions["tagloop.core"].store
    token = users.create_token(store, users.get(store, "mia")["id"]).token
    other = app.test_client()
    me = login(client).get_json()
    login(other)
    assert other.get("/api/v1/stats").status_code == 200
    refused = client.delete("/api/v1/auth/sessions")  # a change: needs the CSRF token
    assert refused.status_code == 403
    ended = client.delete("/api/v1/auth/sessions", headers={"X-CSRF-Token": me["csrf_token"]})
    assert ended.status_code == 204
    assert other.get("/api/v1/stats").status_code == 401
    assert client.get("/api/v1/stats").status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/stats", headers=bearer).status_code == 200


def test_disabling_or_deleting_a_user_ends_their_sessions_on_the_server(app, client, maintainer):
    from tagloop.service import sessions

    store = app.extensions["tagloop.core"].store
    uid = users.get(store, "mia")["id"]
    secret = sessions.start(store, uid, hours=1)
    assert sessions.user_of(store, secret) == uid
    users.update(store, "mia", disabled=True)
    assert sessions.user_of(store, secret) is None
    users.update(store, "mia", disabled=False)
    secret = sessions.start(store, uid, hours=1)
    users.delete_user(store, "mia")
    assert sessions.user_of(store, secret) is None
    assert sessions.user_of(store, "not a session") is None
