"""Per-person agreement with the model and between people, without HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tagloop.service import users
from tagloop.service.agreement import Judgement, agreement, cohen_kappa, pairwise, per_person
from tagloop.store.models import Feedback, Item, Prediction, utcnow


def pairs(a: str, b: str) -> list[tuple[str, str]]:
    return list(zip(a.split(), b.split(), strict=True))


@pytest.mark.parametrize(
    ("first", "second", "kappa"),
    [
        # p_o = 3/4; p_e = (2*1 + 2*3) / 16 = 1/2 -> (3/4 - 1/2) / (1/2)
        ("x x y y", "x y y y", 0.5),
        ("x y x y", "x y x y", 1.0),
        # never the same label: p_o = 0, p_e = 1/2
        ("x y", "y x", -1.0),
        # p_o = 1/2 and p_e = (2*1) / 4 = 1/2: no better than chance
        ("x x", "x y", 0.0),
    ],
)
def test_cohen_kappa_by_hand(first: str, second: str, kappa: float) -> None:
    assert cohen_kappa(pairs(first, second)) == pytest.approx(kappa)


def test_cohen_kappa_of_a_textbook_table() -> None:
    # 50 texts: yes/yes 20, yes/no 5, no/yes 10, no/no 15. p_o = 0.7, A says yes 25 times
    # and B 30: p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = 0.2 / 0.5 = 0.4.
    table = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
    table += [("no", "no")] * 15
    assert cohen_kappa(table) == pytest.approx(0.4)


def test_cohen_kappa_is_undefined_when_chance_explains_everything() -> None:
    assert cohen_kappa(pairs("x x x", "x x x")) is None
    assert cohen_kappa([]) is None


def _j(
    person: str, source: str, text: str, label: str, model: str | None, minute: int
) -> Judgement:
    at = datetime(2026, 1, 1) + timedelta(minutes=minute)
    return Judgement(person, True, source, text, label, model, at)


def test_the_newest_label_counts_per_source_and_per_text() -> None:
    found = [
        _j("ann", "prediction:1", "t1", "ham", "ham", 1),
        _j("ann", "prediction:1", "t1", "spam", "ham", 2),  # changed her mind
        _j("ben", "prediction:1", "t1", "spam", "ham", 3),
        _j("ben", "prediction:2", "t2", "ham", "ham", 4),
    ]
    people = {row["person"]: row for row in per_person(found)}
    assert people["ann"]["labels"] == 1 and people["ann"]["agreed"] == 0
    assert people["ben"]["labels"] == 2 and people["ben"]["agreement_rate"] == 0.5
    assert pairwise(found) == [
        {"a": "ann", "b": "ben", "shared": 1, "agreed": 1, "raw_agreement": 1.0, "kappa": None}
    ]


def test_nobody_overlaps_no_pairs() -> None:
    found = [
        _j("ann", "prediction:1", "t1", "ham", "ham", 1),
        _j("ben", "item:1", "t2", "x", None, 2),
    ]
    assert pairwise(found) == []
    ben = next(r for r in per_person(found) if r["person"] == "ben")
    assert ben["compared"] == 0 and ben["agreement_rate"] is None


def test_agreement_from_feedback_and_item_labels(core) -> None:  # type: ignore[no-untyped-def]
    project = core.project()
    store = core.store
    ids = {
        login: users.create(store, login, "a long test password", name=login.title())["id"]
        for login in ("alice", "bob")
    }
    now = utcnow()

    def predict(text: str | None, label: str) -> int:
        row = Prediction(
            project_id=project.id,
            model_version=1,
            text=text,
            text_sha256="f" * 64,
            label=label,
            confidence=0.9,
            probabilities={},
        )
        with store.transaction() as session:
            session.add(row)
        return row.id

    def feedback(pid: int, login: str | None, label: str, at: datetime, reviewer: str = "") -> None:
        with store.transaction() as session:
            session.add(
                Feedback(
                    prediction_id=pid,
                    label=label,
                    reviewer=reviewer or (login or "").title(),
                    user_id=ids[login] if login else None,
                    created_at=at,
                )
            )

    hello, cash = predict("Hello  World", "ham"), predict("win cash", "spam")
    feedback(hello, "alice", "ham", now - timedelta(minutes=5))
    feedback(hello, "alice", "spam", now - timedelta(minutes=1))  # the newest counts
    feedback(hello, "bob", "spam", now)
    feedback(cash, "alice", "spam", now)
    feedback(cash, "bob", "ham", now)
    feedback(cash, None, "ham", now - timedelta(days=40), reviewer="old")  # outside the window
    with store.transaction() as session:
        for by, text in (("user:Carol", "hello world"), ("", "nobody's")):
            session.add(
                Item(
                    project_id=project.id,
                    text=text,
                    text_sha256=text,
                    status="labelled",
                    label="spam",
                    labelled_by=by,
                    labelled_at=now,
                    suggestion="ham",
                )
            )

    result = agreement(store, project, days=30)
    people = {row["person"]: row for row in result["people"]}
    assert set(people) == {"Alice", "Bob", "Carol"}
    assert (people["Alice"]["agreed"], people["Alice"]["compared"]) == (1, 2)
    assert people["Bob"]["agreement_rate"] == 0.0
    assert people["Carol"]["labels"] == 1 and people["Carol"]["agreement_rate"] == 0.0
    # "Hello  World" and the item "hello world" are one text; "win cash" only Alice and Bob.
    assert result["pairs"] == [
        {"a": "Alice", "b": "Bob", "shared": 2, "agreed": 1, "raw_agreement": 0.5, "kappa": 0.0},
        {"a": "Alice", "b": "Carol", "shared": 1, "agreed": 1, "raw_agreement": 1.0, "kappa": None},
        {"a": "Bob", "b": "Carol", "shared": 1, "agreed": 1, "raw_agreement": 1.0, "kappa": None},
    ]
