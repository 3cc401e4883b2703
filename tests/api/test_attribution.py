"""Who did it: feedback, retraining requests, activations and rollbacks record the user,
and the history shows their name (even after they are renamed or deleted)."""

from __future__ import annotations

from sqlalchemy import select

from tagloop.service import users
from tagloop.store.models import Feedback, Job
from tests.api.helpers import HAM

PASSWORD = "a long test password"


def _token(store, login: str, role: str | None, project) -> dict[str, str]:  # type: ignore[no-untyped-def]
    users.create(store, login, PASSWORD, name=login.title(), admin=role == "admin")
    if role and role != "admin":
        users.grant(store, login, project, role)
    uid = users.get(store, login)["id"]
    return {"Authorization": f"Bearer {users.create_token(store, uid).token}"}


def test_actions_record_the_user_and_history_shows_names(
    app, client, registry, trained, active_version
):
    the_core = app.extensions["tagloop.core"]
    store, default = the_core.store, the_core.project()
    _token(store, "root", "admin", default)
    ann = _token(store, "ann", "annotator", default)
    max_ = _token(store, "max", "maintainer", default)
    second = registry.register(trained.model, **trained.registry_metadata()).id

    pid = client.post("/api/v1/classify", json={"text": HAM}, headers=ann).get_json()["id"]
    fed = client.post(
        f"/api/v1/predictions/{pid}/feedback",
        json={"label": "spam", "reviewer": "someone else"},
        headers=ann,
    )
    assert fed.status_code == 200
    assert fed.get_json()["feedback_history"][0]["reviewer"] == "Ann"
    activated = client.post(f"/api/v1/models/{second}/activate", json={}, headers=max_)
    assert activated.get_json()["activation"]["user"] == "Max"
    assert client.post("/api/v1/models/rollback", json={}, headers=max_).status_code == 200
    client.post("/api/v1/retrain", json={}, headers=max_)

    ann_id, max_id = users.get(store, "ann")["id"], users.get(store, "max")["id"]
    with store.session() as session:
        assert session.scalar(select(Feedback.user_id)) == ann_id
        assert session.scalar(select(Job.requested_by_id)) == max_id

    users.update(store, "max", name="Max Renamed")
    users.delete_user(store, "max")
    history = client.get("/api/v1/models/history", headers=ann).get_json()["items"]
    assert [(h["action"], h["user"]) for h in history[:2]] == [
        ("rollback", "Max Renamed"),
        ("activate", "Max Renamed"),
    ]
    assert history[-1]["user"] is None  # the fixture's activation, by no account
