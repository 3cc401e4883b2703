"""Every registered route × every role, over real API tokens, on SQLite and PostgreSQL.

``EXPECTED`` is this test's own statement of who may call each endpoint; a route the app
registers that is missing here fails the suite, so a new route cannot ship without a rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from tagloop.service import users
from tagloop.service.projects import create as create_project
from tests.api.helpers import HAM, error_of

PASSWORD = "a long test password"
ROLES = ("anonymous", "outsider", "viewer", "annotator", "maintainer", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}

# endpoint (blueprint-less name) -> the least role that may call it; "anonymous" = anyone.
# Per-project endpoints are checked on the default project, whose anonymous_classify is
# on and anonymous_feedback off (the defaults).
EXPECTED = {
    "healthz": "anonymous",
    "readyz": "anonymous",
    "metrics": "anonymous",
    "spa": "anonymous",
    "api_docs": "anonymous",
    "api_docs_asset": "anonymous",
    "spec": "anonymous",
    "docs": "anonymous",
    "swagger_ui_oauth_redirect": "anonymous",
    "me": "anonymous",
    "login": "anonymous",
    "logout": "anonymous",
    "list_projects": "anonymous",
    "add_task": "anonymous",
    "list_tasks": "anonymous",
    "classify": "anonymous",
    "info": "anonymous",
    "get_project": "anonymous",
    "item_counts": "anonymous",
    "access": "anonymous",
    "list_tokens": "outsider",
    "create_token": "outsider",
    "revoke_token": "outsider",
    "end_sessions": "outsider",
    "list_predictions": "viewer",
    "export_predictions": "viewer",
    "get_prediction": "viewer",
    "stats": "viewer",
    "agreement": "viewer",
    "list_models": "viewer",
    "history": "viewer",
    "get_model": "viewer",
    "jobs": "viewer",
    "job": "viewer",
    "review": "viewer",
    "compare_models": "viewer",
    "export_items": "viewer",
    "learning_curve": "viewer",
    "give_feedback": "annotator",
    "next_items": "annotator",
    "label_item": "annotator",
    "skip_item": "annotator",
    "undo": "annotator",
    "add_label": "annotator",
    "add_items": "maintainer",
    "add_items_file": "maintainer",
    "activate": "maintainer",
    "rollback": "maintainer",
    "retrain": "maintainer",
    "cancel": "maintainer",
    "patch_project": "maintainer",
    "train": "maintainer",
    "create_project": "admin",
    "delete_project": "admin",
    "list_users": "admin",
    "create_user": "admin",
    "patch_user": "admin",
    "delete_user": "admin",
    "set_role": "admin",
}
# A caller who may only read its own predictions (anonymous classify is on) is told
# someone else's does not exist.
HIDDEN = {"get_prediction"}


@pytest.fixture
def people(app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A user per role (one with no role at all), each with a real API token."""
    store = app.extensions["tagloop.core"].store
    default = app.extensions["tagloop.core"].project()
    out: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ROLES[1:]:
        users.create(store, role, PASSWORD, admin=role == "admin")
        if role in ("viewer", "annotator", "maintainer"):
            users.grant(store, role, default, role)
        uid = users.get(store, role)["id"]
        out[role] = {"Authorization": f"Bearer {users.create_token(store, uid).token}"}
    return out


def _url(rule: Any, values: dict[str, Any]) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<{arg}>", str(values[arg]))
        for converter in ("int", "path", "not_api"):
            path = path.replace(f"<{converter}:{arg}>", str(values[arg]))
    return path


def _routes(app) -> list[tuple[str, str, Any]]:  # type: ignore[no-untyped-def]
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint.rsplit(".", 1)[-1], method, rule))
    return out


def test_every_route_has_a_row_in_the_table(app):
    from tagloop.api.auth import action_of

    with app.test_request_context():
        for endpoint, method, rule in _routes(app):
            assert endpoint in EXPECTED, f"{method} {rule.rule}: add it to EXPECTED"
            assert action_of(rule.endpoint) is not None, f"{rule.endpoint} declares no action"


def test_each_role_gets_exactly_its_row(app, client, people, active_version):
    created = client.post("/api/v1/classify", json={"text": HAM}, headers=people["admin"])
    values = {
        "project": "default",
        "model_id": active_version,
        "prediction_id": created.get_json()["id"],
        "job_id": 1,
        "token_id": 999,
        "item_id": 999,
        "login": "nobody",
        "name": "x.css",
        "path": "somewhere",
    }
    wrong = []
    for endpoint, method, rule in _routes(app):
        if endpoint in ("logout", "login"):
            continue  # they change the caller itself; tested in test_sessions.py
        for role in ROLES:
            response = client.open(_url(rule, values), method=method, json={}, headers=people[role])
            response.close()  # ends a streamed export's request context
            allowed = RANK[role] >= RANK[EXPECTED[endpoint]]
            got = response.status_code
            if allowed:
                ok = got not in (401, 403)
            elif endpoint in HIDDEN:
                ok = got == 404
            elif role == "anonymous":
                ok = got == 401
            else:
                ok = got == 403 and error_of(response)["code"] == "forbidden"
            if not ok:
                wrong.append(f"{role} {method} {rule.rule}: {got}")
    assert not wrong, "\n".join(wrong)


def test_a_role_on_one_project_gives_nothing_on_another(app, client, people):
    the_core = app.extensions["tagloop.core"]
    create_project(the_core.store, the_core.settings, "other", project_settings={})
    for role in ("viewer", "annotator", "maintainer"):
        response = client.get("/api/v1/projects/other/stats", headers=people[role])
        assert response.status_code == 403, role
        assert "needs the viewer role" in error_of(response)["message"]
    assert client.get("/api/v1/projects/other/stats", headers=people["admin"]).status_code == 200
    listed = client.get("/api/v1/projects", headers=people["viewer"]).get_json()["items"]
    assert [p["slug"] for p in listed] == ["default"]


def test_anonymous_classify_and_feedback_follow_the_project_settings(client, people):
    first = client.post("/api/v1/classify", json={"text": HAM})
    assert first.status_code == 200
    pid = first.get_json()["id"]
    refused = client.post(f"/api/v1/predictions/{pid}/feedback", json={"label": "ham"})
    assert refused.status_code == 401
    client.patch(
        "/api/v1/projects/default",
        json={"settings": {"anonymous_classify": False, "anonymous_feedback": True}},
        headers=people["maintainer"],
    )
    assert client.post("/api/v1/classify", json={"text": HAM}).status_code == 401
    assert client.post("/api/task", json={"title": HAM}).status_code == 401


def test_anonymous_predictions_are_not_readable_by_other_clients(app, client, people):
    client.patch(
        "/api/v1/projects/default",
        json={"settings": {"anonymous_feedback": True}},
        headers=people["maintainer"],
    )
    mine = app.test_client()
    mine.get("/").close()  # the browser gets its client cookie from the first page
    pid = mine.post("/api/v1/classify", json={"text": HAM}).get_json()["id"]
    assert mine.get(f"/api/v1/predictions/{pid}").status_code == 200
    assert mine.get("/api/v1/predictions?mine=true").get_json()["total"] == 1
    assert mine.get("/api/v1/predictions").status_code == 401
    other = app.test_client()
    other.get("/").close()
    assert other.get(f"/api/v1/predictions/{pid}").status_code == 404
    assert (
        other.post(f"/api/v1/predictions/{pid}/feedback", json={"label": "spam"}).status_code == 404
    )
    assert (
        mine.post(f"/api/v1/predictions/{pid}/feedback", json={"label": "spam"}).status_code == 200
    )
    assert other.get("/api/v1/predictions?mine=true").get_json()["total"] == 0
    assert client.get(f"/api/v1/predictions/{pid}", headers=people["viewer"]).status_code == 200


def test_a_disabled_users_token_is_refused(app, client, people):
    store = app.extensions["tagloop.core"].store
    assert client.get("/api/v1/stats", headers=people["viewer"]).status_code == 200
    users.update(store, "viewer", disabled=True)
    response = client.get("/api/v1/stats", headers=people["viewer"])
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_the_admin_token_still_works_once_users_exist(client, people, admin_headers):
    response = client.post("/api/v1/models/rollback", json={}, headers=admin_headers)
    assert response.status_code not in (401, 403)
    assert client.get("/api/v1/users", headers=admin_headers).status_code == 200


def test_the_access_endpoint_answers_as_the_server_would(client, people):
    """What the web app's buttons show is what the server then does."""
    viewer = client.get("/api/v1/projects/default/access", headers=people["viewer"]).get_json()
    assert viewer["role"] == "viewer" and viewer["signed_in"] and not viewer["open"]
    assert viewer["actions"]["read"]["allowed"]
    retrain = viewer["actions"]["retrain"]
    assert not retrain["allowed"] and not retrain["with_admin_token"]
    assert retrain["needs"] == "maintainer"
    assert "needs the maintainer role (your role is viewer)" in retrain["reason"]
    refused = client.post("/api/v1/retrain", json={}, headers=people["viewer"])
    assert error_of(refused)["message"] == retrain["reason"]
    assert not viewer["actions"]["manage_users"]["allowed"]

    maintainer = client.get("/api/v1/access", headers=people["maintainer"]).get_json()
    assert maintainer["role"] == "maintainer"
    allowed = {name for name, p in maintainer["actions"].items() if p["allowed"]}
    assert {"retrain", "activate", "rollback", "configure", "import", "label"} <= allowed
    assert not allowed & {"create_project", "delete_project", "manage_users"}

    anonymous = client.get("/api/v1/access").get_json()
    assert anonymous["role"] == "none" and not anonymous["signed_in"]
    assert anonymous["actions"]["classify"]["allowed"]  # the project's anonymous_classify
    assert "sign in" in anonymous["actions"]["read"]["reason"]


def test_an_open_server_offers_the_admin_token(client):
    """No accounts yet: reading is open, and changes are allowed with the admin token."""
    answer = client.get("/api/v1/access").get_json()
    assert answer["open"] and answer["role"] == "none"
    assert answer["actions"]["read"]["allowed"]
    rollback = answer["actions"]["rollback"]
    assert not rollback["allowed"] and rollback["with_admin_token"]
