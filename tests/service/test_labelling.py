"""The labelling queue: a diverse start, the model's doubts next, no item twice, and two
people at once never given the same item (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tagloop.service import items, labelling, projects
from tagloop.service.core import Core
from tagloop.service.errors import Conflict, NotFound
from tagloop.store.models import Item, utcnow

TOPICS = {
    "bug": "the app crashes with an error when I open screen {}",
    "billing": "please refund the invoice charge number {} on my card",
    "login": "cannot sign in, password reset link {} expired",
    "shipping": "parcel {} delivery is late, courier tracking shows nothing",
}


def add(core, project, texts):  # type: ignore[no-untyped-def]
    rows = items.check_texts(core, texts, None, "test")
    return items.add_items(core, project, rows)


@pytest.fixture
def inbox(core):  # type: ignore[no-untyped-def]
    """A project with no model and 4 topics × 30 texts, sorted by topic as files often are."""
    project = projects.create(core.store, core.settings, "inbox", labels=list(TOPICS))
    add(core, project, [t.format(i) for t in TOPICS.values() for i in range(30)])
    return project


KEYWORD = {"bug": "crashes", "billing": "refund", "login": "password", "shipping": "parcel"}


def topic(text: str) -> str:
    return next(name for name, word in KEYWORD.items() if word in text)


def test_before_any_model_the_first_items_cover_the_pile(core, inbox):
    first = labelling.next_items(core, inbox, "client:a", limit=8)
    assert len(first) == 8
    assert {topic(item["text"]) for item in first[:4]} == set(TOPICS)
    assert all(item["suggestion"] is None for item in first)


def test_before_any_model_the_labels_so_far_order_the_queue(core, inbox):
    """One label each of two topics: the texts they cannot tell apart — the other two
    topics — come next (every fifth is the random share), not more of the same."""
    served = labelling.next_items(core, inbox, "client:a", limit=8)
    for name in ("bug", "billing"):
        item = next(i for i in served if topic(i["text"]) == name)
        labelling.label(core, inbox, item["id"], name, "client:a")
    assert labelling.rank(core, inbox) == 0  # the order is not stale: no model changed
    assert labelling.rank(core, inbox, again=True) == 118
    labelling.next_items(core, inbox, "client:a", limit=1)  # renews the six held
    others = labelling.next_items(core, inbox, "client:b", limit=8)
    doubts = [topic(item["text"]) for n, item in enumerate(others, 1) if n % 5]
    assert set(doubts) <= {"login", "shipping"}, doubts
    assert all(item["suggestion"] is None for item in others)


def test_no_item_is_served_twice(core, inbox):
    seen: list[int] = []
    while batch := labelling.next_items(core, inbox, "client:a", limit=7):
        for n, item in enumerate(batch):
            seen.append(item["id"])
            if n == 0:
                labelling.skip(core, inbox, item["id"], "client:a")
            else:
                labelling.label(core, inbox, item["id"], topic(item["text"]), "client:a")
    assert len(seen) == len(set(seen)) == 120
    counts = items.counts(core, inbox)
    assert counts["labelled"] + counts["skipped"] == 120
    assert counts["open"] == 0
    assert sum(counts["by_label"].values()) == counts["labelled"]


def test_a_held_item_is_not_given_to_someone_else(core, inbox):
    a = {item["id"] for item in labelling.next_items(core, inbox, "client:a", limit=5)}
    b = {item["id"] for item in labelling.next_items(core, inbox, "client:b", limit=5)}
    assert len(a) == len(b) == 5 and not a & b
    # Asking again gives a person the items they hold, not new ones.
    again = {item["id"] for item in labelling.next_items(core, inbox, "client:a", limit=5)}
    assert again == a
    taken = min(a)
    with pytest.raises(Conflict, match="someone else"):
        labelling.label(core, inbox, taken, "bug", "client:b")
    # Once the lease runs out, the item can go to someone else.
    with core.store.transaction() as session:
        session.execute(
            update(Item)
            .where(Item.id == taken)
            .values(assigned_until=utcnow() - timedelta(seconds=1))
        )
    assert labelling.label(core, inbox, taken, "bug", "client:b")["labelled_by"] == "client:b"
    with pytest.raises(Conflict, match="already labelled"):
        labelling.label(core, inbox, taken, "bug", "client:a")


def test_undo_reopens_the_last_answer_and_hands_it_back(core, inbox):
    first, second = labelling.next_items(core, inbox, "client:a", limit=2)
    labelling.label(core, inbox, first["id"], "bug", "client:a")
    labelling.skip(core, inbox, second["id"], "client:a")
    reopened = labelling.undo(core, inbox, "client:a")
    assert (reopened["id"], reopened["status"]) == (second["id"], "open")
    assert labelling.undo(core, inbox, "client:a")["id"] == first["id"]
    with pytest.raises(NotFound, match="nothing to undo"):
        labelling.undo(core, inbox, "client:a")
    mine = [item["id"] for item in labelling.next_items(core, inbox, "client:a", limit=2)]
    assert sorted(mine) == sorted([first["id"], second["id"]])
    assert items.counts(core, inbox)["labelled"] == 0


def test_refusals(core, inbox):
    item = labelling.next_items(core, inbox, "client:a")[0]
    with pytest.raises(Conflict, match="not one of the project's labels"):
        labelling.label(core, inbox, item["id"], "nonsense", "client:a")
    with pytest.raises(NotFound):
        labelling.label(core, inbox, 10**6, "bug", "client:a")
    other = projects.create(core.store, core.settings, "other", labels=list(TOPICS))
    with pytest.raises(NotFound):  # an item of another project
        labelling.label(core, other, item["id"], "bug", "client:a")


def test_with_a_model_the_least_sure_come_first(core, sms_dataset):
    default = core.project()
    add(core, default, sms_dataset.texts[:600])
    served = labelling.next_items(core, default, "client:a", limit=20)
    assert all(item["suggestion"] in ("ham", "spam") for item in served)
    # Positions 5, 10, 15, 20 are the random share; the others are the model's doubts.
    doubts = [item["confidence"] for n, item in enumerate(served, 1) if n % 5]
    with core.store.session() as session:
        confidences = sorted(
            session.scalars(select(Item.confidence).where(Item.project_id == default.id))
        )
    assert max(doubts) <= confidences[len(confidences) // 4]  # all in the least sure quarter


def test_many_people_at_once_never_share_an_item(settings, inbox):
    """Eight labellers, each with its own connection pool (like separate processes), ask for
    items at the same moment."""
    cores = [Core.open(settings, upgrade=False) for _ in range(8)]
    start = threading.Barrier(len(cores))
    got: dict[int, list[int]] = {}

    def ask(n: int) -> None:
        start.wait()
        project = cores[n].project("inbox")
        got[n] = []
        for _round in range(3):
            batch = labelling.next_items(cores[n], project, f"client:{n}", limit=4)
            got[n].extend(item["id"] for item in batch)
            for item in batch:
                labelling.label(cores[n], project, item["id"], "bug", f"client:{n}")

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(cores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in cores:
        opened.close()
    every = [i for ids in got.values() for i in ids]
    assert len(every) == 8 * 3 * 4
    assert len(set(every)) == len(every)


def test_a_label_in_use_by_labelled_items_cannot_be_removed(core, inbox):
    item = labelling.next_items(core, inbox, "client:a")[0]
    labelling.label(core, inbox, item["id"], "billing", "client:a")
    with pytest.raises(Conflict, match=r"'billing'.*labelled items"):
        projects.update(core.store, core.settings, inbox, labels=["bug", "login", "shipping"])
    kept = projects.update(core.store, core.settings, inbox, labels=[*TOPICS, "new"])
    assert [x.name for x in kept.labels] == [*TOPICS, "new"]
