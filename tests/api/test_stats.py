"""``GET /api/v1/stats``: counts per day and label, feedback volume and agreement."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from tagloop.store.models import Prediction, utcnow
from tests.api.helpers import HAM, HAM_2, SPAM, SPAM_2, error_of


def test_empty_database(client):
    body = client.get("/api/v1/stats").get_json()
    assert body["total_predictions"] == 0
    assert body["feedback_count"] == 0
    assert body["agreement_rate"] is None
    assert body["per_day"] == [] and body["per_model"] == []
    assert body["confidence_histogram"]["counts"] == [0] * 10


def test_counts_feedback_and_agreement(app, client, active_version):
    body = client.post("/api/v1/classify", json={"texts": [SPAM, SPAM_2, HAM, HAM_2]}).get_json()
    ids = [p["id"] for p in body["predictions"]]
    client.post(f"/api/v1/predictions/{ids[0]}/feedback", json={"label": "spam"})  # agrees
    client.post(f"/api/v1/predictions/{ids[2]}/feedback", json={"label": "spam"})  # disagrees
    client.post(f"/api/v1/predictions/{ids[3]}/feedback", json={"label": "spam"})
    client.post(f"/api/v1/predictions/{ids[3]}/feedback", json={"label": "ham"})  # changed: agrees

    response = client.get("/api/v1/stats")

    assert response.status_code == 200
    stats = response.get_json()
    today = utcnow().strftime("%Y-%m-%d")
    assert stats["days"] == 30
    assert stats["total_predictions"] == 4
    assert stats["feedback_count"] == 3
    assert stats["agreement_rate"] == 2 / 3
    assert sorted((d["date"], d["label"], d["count"]) for d in stats["per_day"]) == [
        (today, "ham", 2),
        (today, "spam", 2),
    ]
    assert stats["per_model"] == [
        {"model_version": active_version, "predictions": 4, "feedback": 3, "agreement_rate": 2 / 3}
    ]
    assert stats["feedback_per_day"] == [{"date": today, "count": 3, "agreed": 2}]
    histogram = stats["confidence_histogram"]
    assert len(histogram["edges"]) == 11 and sum(histogram["counts"]) == 4
    assert sum(histogram["counts"][:5]) == 0  # the top class of two has confidence >= 0.5


def test_days_limits_the_window(app, client):
    ids = [
        p["id"]
        for p in client.post("/api/v1/classify", json={"texts": [SPAM, HAM]}).get_json()[
            "predictions"
        ]
    ]
    with app.extensions["tagloop.core"].store.engine.begin() as conn:
        conn.execute(
            update(Prediction)
            .where(Prediction.id == ids[0])
            .values(created_at=datetime(2001, 1, 1))
        )
        conn.execute(
            update(Prediction)
            .where(Prediction.id == ids[1])
            .values(created_at=utcnow() - timedelta(days=400))
        )
    assert client.get("/api/v1/stats?days=7").get_json()["total_predictions"] == 0
    assert client.get("/api/v1/stats?days=365").get_json()["total_predictions"] == 0
    assert client.get("/api/v1/stats?days=3650").get_json()["total_predictions"] == 1
    assert client.get("/api/v1/stats?days=3650").get_json()["per_day"][0]["label"] == "ham"


def test_model_version_restricts_every_figure(app, client, active_version):
    ids = [
        p["id"]
        for p in client.post("/api/v1/classify", json={"texts": [SPAM, HAM, HAM_2]}).get_json()[
            "predictions"
        ]
    ]
    client.post(f"/api/v1/predictions/{ids[0]}/feedback", json={"label": "spam"})
    client.post(f"/api/v1/predictions/{ids[1]}/feedback", json={"label": "spam"})
    with app.extensions["tagloop.core"].store.engine.begin() as conn:  # as if served by another
        conn.execute(update(Prediction).where(Prediction.id == ids[1]).values(model_version=99))
    mine = client.get(f"/api/v1/stats?model_version={active_version}").get_json()
    other = client.get("/api/v1/stats?model_version=99").get_json()
    both = client.get("/api/v1/stats").get_json()
    assert mine["model_version"] == active_version and both["model_version"] is None
    assert (mine["total_predictions"], other["total_predictions"], both["total_predictions"]) == (
        2,
        1,
        3,
    )
    assert (mine["feedback_count"], mine["agreement_rate"]) == (1, 1.0)
    assert (other["feedback_count"], other["agreement_rate"]) == (1, 0.0)
    assert [d["model_version"] for d in other["per_day"]] == [99]
    assert sum(other["confidence_histogram"]["counts"]) == 1
    assert sum(d["count"] for d in other["feedback_per_day"]) == 1


def test_bad_days_is_refused(client):
    response = client.get("/api/v1/stats?days=0")
    assert response.status_code == 422
    assert "days" in error_of(response)["message"]


def test_agreement_per_person_over_http(app, client):
    """Two signed-in people correct the same two predictions: the figures name them."""
    from tagloop.service import users

    store = app.extensions["tagloop.core"].store
    default = app.extensions["tagloop.core"].project()
    headers = {}
    for login in ("ann", "ben"):
        users.create(store, login, "a long test password", name=login.title())
        users.grant(store, login, default, "annotator")
        token = users.create_token(store, users.get(store, login)["id"]).token
        headers[login] = {"Authorization": f"Bearer {token}"}
    body = client.post("/api/v1/classify", json={"texts": [SPAM, HAM]}, headers=headers["ann"])
    spam, ham = [(p["id"], p["label"]) for p in body.get_json()["predictions"]]
    for login, labels in (("ann", ("spam", "ham")), ("ben", ("spam", "spam"))):
        for (pid, _), label in zip((spam, ham), labels, strict=True):
            sent = client.post(
                f"/api/v1/predictions/{pid}/feedback", json={"label": label}, headers=headers[login]
            )
            assert sent.status_code == 200

    response = client.get("/api/v1/projects/default/stats/agreement?days=7", headers=headers["ben"])

    assert response.status_code == 200
    body = response.get_json()
    assert body["days"] == 7
    agreed = {p["person"]: (p["agreed"], p["compared"]) for p in body["people"]}
    model_says = (spam[1], ham[1])
    assert agreed == {
        "Ann": (sum(a == b for a, b in zip(("spam", "ham"), model_says, strict=True)), 2),
        "Ben": (sum(a == b for a, b in zip(("spam", "spam"), model_says, strict=True)), 2),
    }
    # Ann: spam, ham; Ben: spam, spam. p_o = 1/2, p_e = (1*2 + 1*0) / 4 = 1/2: kappa 0.
    assert body["pairs"] == [
        {"a": "Ann", "b": "Ben", "shared": 2, "agreed": 1, "raw_agreement": 0.5, "kappa": 0.0}
    ]


def test_agreement_with_nobody_overlapping_is_empty(client):
    body = client.get("/api/v1/stats/agreement").get_json()
    assert body == {"days": 30, "people": [], "pairs": []}
    assert client.get("/api/v1/stats/agreement?days=0").status_code == 422
