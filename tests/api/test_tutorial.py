"""The tutorial's endpoints, called the way its Vue page calls them (axios, JSON, cookies)."""

from __future__ import annotations

from tests.api.helpers import HAM, HAM_2, SPAM, error_of

AXIOS = {"Accept": "application/json, text/plain, */*"}


def test_task_answers_in_the_tutorial_shape(client, count_rows):
    response = client.post("/api/task", json={"title": SPAM}, headers=AXIOS)

    assert response.status_code == 200
    assert response.get_json() == {"result": {"title": SPAM, "tag": "spam"}}
    assert count_rows() == 1


def test_tasks_lists_this_browsers_results_newest_first(client):
    for text in (SPAM, HAM, HAM_2):
        assert client.post("/api/task", json={"title": text}, headers=AXIOS).status_code == 200

    response = client.get("/api/tasks", headers=AXIOS)

    assert response.status_code == 200
    assert response.get_json() == [
        {"title": HAM_2, "tag": "ham"},
        {"title": HAM, "tag": "ham"},
        {"title": SPAM, "tag": "spam"},
    ]


def test_each_browser_sees_only_its_own_results(app):
    alice, bob = app.test_client(), app.test_client()
    alice.post("/api/task", json={"title": SPAM})
    bob.post("/api/task", json={"title": HAM})

    assert alice.get("/api/tasks").get_json() == [{"title": SPAM, "tag": "spam"}]
    assert bob.get("/api/tasks").get_json() == [{"title": HAM, "tag": "ham"}]
    assert app.test_client().get("/api/tasks").get_json() == []


def test_tasks_survive_a_new_app_process(app, settings):
    from tagloop import create_app

    browser = app.test_client()
    browser.post("/api/task", json={"title": HAM})
    cookie = browser.get_cookie("tagloop_client")
    assert cookie is not None

    restarted = create_app(settings)
    try:
        other = restarted.test_client()
        other.set_cookie("tagloop_client", cookie.value)
        assert other.get("/api/tasks").get_json() == [{"title": HAM, "tag": "ham"}]
    finally:
        restarted.extensions["tagloop.core"].store.close()


def test_tasks_lists_at_most_twenty(client):
    assert client.get("/api/tasks").get_json() == []  # the page loads its list: the id is set
    client.post("/api/v1/classify", json={"texts": [f"{HAM} {i}" for i in range(25)]})
    tasks = client.get("/api/tasks").get_json()
    assert len(tasks) == 20
    assert tasks[0]["title"] == f"{HAM} 24"


def test_a_forged_cookie_is_replaced(client):
    client.set_cookie("tagloop_client", "../../etc/passwd")
    response = client.post("/api/task", json={"title": HAM})
    assert response.status_code == 200
    cookie = client.get_cookie("tagloop_client")
    assert cookie is not None and cookie.value != "../../etc/passwd"


def test_task_without_title_is_refused(client, count_rows):
    response = client.post("/api/task", json={"name": HAM})
    assert response.status_code == 422
    assert "title" in error_of(response)["message"]
    assert count_rows() == 0


def test_returning_clients_are_recorded_once(app, client) -> None:
    from sqlalchemy import func, select

    from tagloop.store.models import Client

    def clients() -> int:
        with app.extensions["tagloop.core"].store.session() as session:
            return session.scalar(select(func.count()).select_from(Client)) or 0

    app.test_client().post("/api/task", json={"title": "a one-off call without a cookie"})
    assert clients() == 0
    for _ in range(3):  # the first sets the cookie; the browser comes back with it
        assert client.post("/api/task", json={"title": "hello there"}).status_code == 200
    assert clients() == 1
