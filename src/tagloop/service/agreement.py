"""Agreement per person: how often each person's labels agree with the model, and how
often two people agree with each other where they labelled the same text.

A *judgement* is one person's label on one text: their newest feedback on a prediction,
or the label they gave an item in the labelling queue. Two judgements are on the same
text when they are on the same prediction or item, or their texts are equal once case
and spaces are folded (``ml.split.normalise_text``; a prediction stored only as a hash
matches only an identical text). People are named as their history names them: a user
by their name, the admin token by the name it was used under, an anonymous browser by
the reviewer name it gave (or its cookie id).

Inter-annotator agreement is Cohen's kappa, ``(p_o - p_e) / (1 - p_e)``, with ``p_o``
the share of shared texts the two gave the same label and ``p_e`` the share expected by
chance from each one's own label frequencies over those texts; it is undefined (None)
when chance alone already gives full agreement (both always used one same label).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from typing import TypedDict

from sqlalchemy import select

from tagloop.ml.split import normalise_text
from tagloop.service.labelling import LABELLED
from tagloop.service.projects import ProjectRef
from tagloop.store import Store
from tagloop.store.models import Feedback, Item, Prediction, User, utcnow

# How items record who labelled them, and whether that is a signed-in user.
LABELLER_PREFIXES = {"user:": True, "admin:": False, "client:": False}


@dataclass(frozen=True)
class Judgement:
    person: str
    signed_in: bool  # a user account (not the admin token or an anonymous browser)
    source: str  # "prediction:<id>" or "item:<id>": one person's newest label per source
    text_key: str  # equal for the same text (see the module docstring)
    label: str
    model_label: str | None  # what the model said of the text (None: not known)
    at: datetime


class PersonRow(TypedDict):
    person: str
    signed_in: bool
    labels: int
    compared: int  # labels whose text the model also labelled
    agreed: int
    agreement_rate: float | None


class PairRow(TypedDict):
    a: str
    b: str
    shared: int
    agreed: int
    raw_agreement: float
    kappa: float | None


class AgreementOut(TypedDict):
    days: int
    people: list[PersonRow]
    pairs: list[PairRow]


def text_key(text: str | None, sha256: str) -> str:
    if text is None:
        return f"sha256:{sha256}"
    return "text:" + hashlib.sha256(normalise_text(text).encode()).hexdigest()


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels on the same texts (None: undefined)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def newest(judgements: list[Judgement], key: str) -> dict[tuple[str, str], Judgement]:
    """Each person's newest judgement per ``key`` ("source" or "text_key")."""
    out: dict[tuple[str, str], Judgement] = {}
    for j in sorted(judgements, key=lambda j: j.at):
        out[(j.person, getattr(j, key))] = j
    return out


def per_person(judgements: list[Judgement]) -> list[PersonRow]:
    """Per person: labels given and how many agree with the model's label, busiest first."""
    rows: dict[str, PersonRow] = {}
    for j in newest(judgements, "source").values():
        row = rows.setdefault(
            j.person,
            {
                "person": j.person,
                "signed_in": j.signed_in,
                "labels": 0,
                "compared": 0,
                "agreed": 0,
                "agreement_rate": None,
            },
        )
        row["labels"] += 1
        if j.model_label is not None:
            row["compared"] += 1
            row["agreed"] += j.label == j.model_label
    for row in rows.values():
        row["agreement_rate"] = row["agreed"] / row["compared"] if row["compared"] else None
    return sorted(rows.values(), key=lambda r: (-r["labels"], r["person"]))


def pairwise(judgements: list[Judgement]) -> list[PairRow]:
    """Every two people who labelled at least one same text, most shared texts first."""
    by_text: dict[str, dict[str, str]] = {}
    for (person, key), j in newest(judgements, "text_key").items():
        by_text.setdefault(key, {})[person] = j.label
    shared: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for labels in by_text.values():
        for a, b in combinations(sorted(labels), 2):
            shared.setdefault((a, b), []).append((labels[a], labels[b]))
    rows: list[PairRow] = []
    for (a, b), pairs in shared.items():
        agreed = sum(x == y for x, y in pairs)
        rows.append(
            {
                "a": a,
                "b": b,
                "shared": len(pairs),
                "agreed": agreed,
                "raw_agreement": agreed / len(pairs),
                "kappa": cohen_kappa(pairs),
            }
        )
    return sorted(rows, key=lambda r: (-r["shared"], r["a"], r["b"]))


def judgements(store: Store, project: ProjectRef, since: datetime) -> list[Judgement]:
    """Every person's feedback and item labels in ``project`` given since ``since``."""
    out: list[Judgement] = []
    with store.session() as session:
        feedback = session.execute(
            select(
                Feedback.prediction_id,
                Feedback.label,
                Feedback.reviewer,
                Feedback.created_at,
                User.name,
                User.login,
                Prediction.text,
                Prediction.text_sha256,
                Prediction.label,
            )
            .join(Prediction, Prediction.id == Feedback.prediction_id)
            .outerjoin(User, User.id == Feedback.user_id)
            .where(Prediction.project_id == project.id, Feedback.created_at >= since)
        )
        for pid, label, reviewer, at, name, login, text, sha, predicted in feedback:
            person = (name or login) if login else reviewer
            if not person:
                continue
            out.append(
                Judgement(
                    person=person,
                    signed_in=login is not None,
                    source=f"prediction:{pid}",
                    text_key=text_key(text, sha),
                    label=label,
                    model_label=predicted,
                    at=at,
                )
            )
        items = session.execute(
            select(
                Item.id, Item.text, Item.label, Item.labelled_by, Item.labelled_at, Item.suggestion
            ).where(
                Item.project_id == project.id,
                Item.status == LABELLED,
                Item.label.is_not(None),
                Item.labelled_at >= since,
            )
        )
        for item_id, item_text, item_label, by, labelled_at, suggestion in items:
            prefix = next((p for p in LABELLER_PREFIXES if by.startswith(p)), None)
            if prefix is None or not by[len(prefix) :] or not item_label or not labelled_at:
                continue
            out.append(
                Judgement(
                    person=by[len(prefix) :],
                    signed_in=LABELLER_PREFIXES[prefix],
                    source=f"item:{item_id}",
                    text_key=text_key(item_text, ""),
                    label=item_label,
                    model_label=suggestion,
                    at=labelled_at,
                )
            )
    return out


def agreement(store: Store, project: ProjectRef, days: int) -> AgreementOut:
    """Per person agreement with the model, and pairwise agreement, over the last ``days``."""
    found = judgements(store, project, utcnow() - timedelta(days=days))
    return {"days": days, "people": per_person(found), "pairs": pairwise(found)}
