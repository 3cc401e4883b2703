"""``POST /api/v1/classify``: labels, probabilities, stored rows, batches, explanations."""

from __future__ import annotations

import hashlib
import math

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from tagloop import create_app
from tagloop.store.models import Client, Prediction
from tests.api.helpers import HAM, HAM_2, SPAM, SPAM_2


def test_single_text_is_classified_and_stored(client, stored, count_rows, active_version):
    response = client.post("/api/v1/classify", json={"text": SPAM})

    assert response.status_code == 200
    body = response.get_json()
    assert body["label"] == "spam"
    assert set(body["probabilities"]) == {"ham", "spam"}
    assert math.isclose(sum(body["probabilities"].values()), 1.0, abs_tol=1e-9)
    assert body["confidence"] == max(body["probabilities"].values())
    assert body["confidence"] > 0.5
    assert body["model_version"] == active_version
    assert body["source"] == "api"
    assert body["feedback"] is None
    assert body["text"] == SPAM
    assert body["text_sha256"] == hashlib.sha256(SPAM.encode()).hexdigest()
    assert body["created_at"].endswith("Z")

    row = stored(body["id"])
    assert row is not None
    assert (row.text, row.label, row.model_version) == (SPAM, "spam", active_version)
    assert row.probabilities == pytest.approx(body["probabilities"])
    assert count_rows() == 1


@pytest.mark.parametrize(
    ("text", "label"), [(SPAM, "spam"), (SPAM_2, "spam"), (HAM, "ham"), (HAM_2, "ham")]
)
def test_clear_texts_get_the_right_label(classify, text, label):
    assert classify(text)["label"] == label


def test_batch_keeps_order_and_stores_every_text(client, stored, count_rows, active_version):
    texts = [SPAM, HAM, SPAM_2, HAM_2, HAM]
    response = client.post("/api/v1/classify", json={"texts": texts})

    assert response.status_code == 200
    body = response.get_json()
    assert body["model_version"] == active_version
    predictions = body["predictions"]
    assert [p["text"] for p in predictions] == texts
    assert [p["label"] for p in predictions] == ["spam", "ham", "spam", "ham", "ham"]
    assert all(p["source"] == "batch" for p in predictions)
    ids = [p["id"] for p in predictions]
    assert len(set(ids)) == len(texts)
    for p in predictions:
        assert math.isclose(sum(p["probabilities"].values()), 1.0, abs_tol=1e-9)
        row = stored(p["id"])
        assert row is not None and (row.text, row.label) == (p["text"], p["label"])
    assert count_rows() == len(texts)


def test_batch_and_single_give_the_same_probabilities(client, classify):
    single = classify(HAM_2)["probabilities"]
    batch = client.post("/api/v1/classify", json={"texts": [SPAM, HAM_2]}).get_json()
    assert batch["predictions"][1]["probabilities"] == pytest.approx(single, abs=1e-9)


def test_batch_texts_that_start_unseen_but_show_something_are_classified_as_sent(client):
    # A zero-width space or a direction mark before the words, white space around them:
    # the texts show something, so they are taken and stored exactly as sent.
    texts = ["\u200bhello there", " \u200e call me later ", "\t\u2060ok"]
    response = client.post("/api/v1/classify", json={"texts": texts})
    assert response.status_code == 200
    assert [p["text"] for p in response.get_json()["predictions"]] == texts


def test_batch_at_the_configured_limit_is_accepted(client, count_rows):
    response = client.post("/api/v1/classify", json={"texts": [HAM] * 1000})
    assert response.status_code == 200
    assert len(response.get_json()["predictions"]) == 1000
    assert count_rows() == 1000


def test_explain_gives_tokens_located_in_the_text(client):
    response = client.post("/api/v1/classify?explain=true", json={"text": SPAM})

    assert response.status_code == 200
    explanation = response.get_json()["explanation"]
    assert explanation, "a clear spam text has tokens that pushed it to spam"
    for item in explanation:
        assert set(item) == {"token", "start", "end", "weight"}
        assert 0 <= item["start"] < item["end"] <= len(SPAM)
        assert SPAM[item["start"] : item["end"]].lower() == item["token"].lower()
    assert max(item["weight"] for item in explanation) > 0


def test_explain_works_for_batches_and_is_off_by_default(client):
    plain = client.post("/api/v1/classify", json={"texts": [SPAM, HAM]}).get_json()
    assert all("explanation" not in p for p in plain["predictions"])
    explained = client.post("/api/v1/classify?explain=1", json={"texts": [SPAM, HAM]}).get_json()
    assert all("explanation" in p for p in explained["predictions"])


def test_a_browser_gets_its_id_from_its_first_list_and_classify_files_rows_under_it(
    client, stored, count_rows
):
    opened = client.get("/api/v1/predictions?mine=true")  # what the web app asks first
    cookie = client.get_cookie("tagloop_client")
    assert cookie is not None and len(cookie.value) >= 16
    assert "HttpOnly" in opened.headers["Set-Cookie"]
    assert "SameSite=Lax" in opened.headers["Set-Cookie"]
    first = client.post("/api/v1/classify", json={"text": HAM})
    second = client.post("/api/v1/classify", json={"text": HAM_2})
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    rows = [stored(first.get_json()["id"]), stored(second.get_json()["id"])]
    assert [row.client_id for row in rows if row] == [cookie.value] * 2
    assert count_rows(Client) == 1


def test_a_caller_without_a_cookie_is_anonymous(app, stored, count_rows):
    script = app.test_client(use_cookies=False)
    replies = [script.post("/api/v1/classify", json={"text": t}) for t in (HAM, HAM_2)]
    assert all(r.status_code == 200 and "Set-Cookie" not in r.headers for r in replies)
    assert [stored(r.get_json()["id"]).client_id for r in replies] == [None, None]  # type: ignore[union-attr]
    assert count_rows(Client) == 0
    # The web app's own page hands a browser its id, so its first classify is filed too.
    with app.test_client().get("/") as page:
        assert page.status_code == 200 and "tagloop_client=" in page.headers["Set-Cookie"]


def test_store_text_false_keeps_only_the_hash(settings, active_version):
    settings.store_text = False
    app = create_app(settings)
    try:
        client = app.test_client()
        body = client.post("/api/v1/classify", json={"text": SPAM}).get_json()
        assert body["label"] == "spam"
        assert body["text"] is None
        assert body["text_sha256"] == hashlib.sha256(SPAM.encode()).hexdigest()
        listed = client.get("/api/v1/predictions").get_json()["items"]
        assert [p["text"] for p in listed] == [None]
        with app.extensions["tagloop.core"].store.session() as session:
            row = session.get(Prediction, body["id"])
            assert row is not None and row.text is None
            assert row.text_sha256 == body["text_sha256"]
    finally:
        app.extensions["tagloop.core"].store.close()


def test_predictions_are_counted_by_label(client):
    def value(label: str) -> float:
        labels = {"project": "default", "label": label}
        return REGISTRY.get_sample_value("tagloop_predictions_total", labels) or 0.0

    spam, ham = value("spam"), value("ham")
    client.post("/api/v1/classify", json={"texts": [SPAM, SPAM_2, HAM]})
    client.post("/api/v1/classify", json={"text": HAM_2})
    assert (value("spam") - spam, value("ham") - ham) == (2, 2)


def test_without_an_active_model_classify_is_503_and_stores_nothing(settings):
    app = create_app(settings)
    try:
        response = app.test_client().post("/api/v1/classify", json={"text": HAM})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "no_active_model"
        with app.extensions["tagloop.core"].store.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Prediction)) == 0
    finally:
        app.extensions["tagloop.core"].store.close()
