"""Model versions: list, read, activate and roll back (admin), and the activation history."""

from __future__ import annotations

import pytest

from tests.api.helpers import HAM, error_of


@pytest.fixture
def second_version(registry, trained, active_version) -> int:
    """Another registered (not active) version of the same model."""
    row = registry.register(trained.model, description="second", **trained.registry_metadata())
    assert row.id != active_version
    return row.id  # type: ignore[no-any-return]


def test_list_models_newest_first_marks_the_active_one(client, active_version, second_version):
    response = client.get("/api/v1/models")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [m["id"] for m in items] == [second_version, active_version]
    assert [m["active"] for m in items] == [False, True]
    model = items[1]
    assert model["backend"] == "sklearn"
    assert model["labels"] == ["ham", "spam"]
    assert 0.9 < model["metrics"]["accuracy"] <= 1.0
    assert len(model["artifact"]["sha256"]) == 64
    assert model["data"]["rows"] > 4000


def test_get_one_model(client, active_version):
    response = client.get(f"/api/v1/models/{active_version}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == active_version
    assert body["active"] is True
    assert "accuracy" in body["metrics"]


def test_unknown_model_is_404(client, active_version):
    response = client.get(f"/api/v1/models/{active_version + 10}")
    assert response.status_code == 404
    assert f"model version {active_version + 10}" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("header", "actor"),
    [
        (None, "admin"),
        ("ana", "ana"),
        ("Zo%C3%AB%20%E6%9D%8E", "Zoë 李"),  # percent-encoded UTF-8, as the web app sends it
        ("100% sure", "100% sure"),  # not an escape: kept as written
        ("%0A%0D", "admin"),  # nothing printable
    ],
)
def test_the_actor_is_named_in_the_history(client, admin_headers, second_version, header, actor):
    headers = {**admin_headers, **({"X-Tagloop-Actor": header} if header else {})}
    response = client.post(f"/api/v1/models/{second_version}/activate", json={}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["activation"]["actor"] == actor


def test_activate_then_the_server_serves_the_new_version(
    app, client, admin_headers, active_version, second_version
):
    response = client.post(
        f"/api/v1/models/{second_version}/activate",
        json={"reason": "better F1"},
        headers={**admin_headers, "X-Tagloop-Actor": "ana"},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["active_model"]["id"] == second_version
    assert body["active_model"]["active"] is True
    activation = body["activation"]
    assert activation["model_id"] == second_version
    assert activation["previous_model_id"] == active_version
    assert (activation["action"], activation["actor"], activation["reason"]) == (
        "activate",
        "ana",
        "better F1",
    )
    active = [m["id"] for m in client.get("/api/v1/models").get_json()["items"] if m["active"]]
    assert active == [second_version]

    # The polling thread is off in tests (every request checks the active version).
    prediction = client.post("/api/v1/classify", json={"text": HAM}).get_json()
    assert prediction["model_version"] == second_version


def test_rollback_walks_back_through_the_history(
    client, admin_headers, registry, trained, active_version, second_version
):
    third = registry.register(trained.model, **trained.registry_metadata()).id
    for version in (second_version, third):
        assert (
            client.post(f"/api/v1/models/{version}/activate", headers=admin_headers).status_code
            == 200
        )

    first = client.post(
        "/api/v1/models/rollback", json={"reason": "regression"}, headers=admin_headers
    )
    assert first.status_code == 200
    assert first.get_json()["active_model"]["id"] == second_version
    assert first.get_json()["activation"]["action"] == "rollback"
    second = client.post("/api/v1/models/rollback", headers=admin_headers)
    assert second.get_json()["active_model"]["id"] == active_version
    third_try = client.post("/api/v1/models/rollback", headers=admin_headers)
    assert third_try.status_code == 409
    assert error_of(third_try)["code"] == "nothing_to_roll_back"

    history = client.get("/api/v1/models/history").get_json()["items"]
    assert [(h["action"], h["model_id"]) for h in history] == [
        ("rollback", active_version),
        ("rollback", second_version),
        ("activate", third),
        ("activate", second_version),
        ("activate", active_version),
    ]


def test_activating_an_unknown_version_is_404_and_changes_nothing(
    client, admin_headers, active_version
):
    response = client.post(f"/api/v1/models/{active_version + 10}/activate", headers=admin_headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    history = client.get("/api/v1/models/history").get_json()["items"]
    assert [h["model_id"] for h in history] == [active_version]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong-token"}, 401, "invalid_token"),
        ({"Authorization": "Basic dGVzdC1hZG1pbi10b2tlbjo="}, 401, "unauthorized"),
        ({"Authorization": "Bearer"}, 401, "unauthorized"),
        ({"Authorization": "Bearer test-admin-token-but-longer"}, 401, "invalid_token"),
    ],
)
def test_admin_endpoints_need_the_token(
    client, second_version, active_version, headers, status, code
):
    for url in (f"/api/v1/models/{second_version}/activate", "/api/v1/models/rollback"):
        response = client.post(url, headers=headers)
        assert response.status_code == status
        assert error_of(response)["code"] == code
    active = [m["id"] for m in client.get("/api/v1/models").get_json()["items"] if m["active"]]
    assert active == [active_version]


def test_admin_endpoints_are_refused_when_no_token_is_configured(
    settings, active_version, second_version
):
    from tagloop import create_app

    settings.admin_token = ""
    app = create_app(settings)
    try:
        client = app.test_client()
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
            response = client.post(f"/api/v1/models/{second_version}/activate", headers=headers)
            assert response.status_code == 403
            assert error_of(response)["code"] == "admin_disabled"
            assert "TAGLOOP_ADMIN_TOKEN" in error_of(response)["message"]
    finally:
        app.extensions["tagloop.core"].store.close()
