"""Fixtures for the API tests: direct reads of the database the app writes to, so a test
checks stored rows and not only responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from tagloop.store.models import Prediction


@pytest.fixture
def count_rows(app) -> Callable[..., int]:  # type: ignore[no-untyped-def]
    """Rows in the predictions table (or another table given as a model class)."""
    engine = app.extensions["tagloop.core"].store.engine

    def count(table: type = Prediction) -> int:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(table)) or 0)

    return count


@pytest.fixture
def stored(app) -> Callable[[int], Prediction | None]:  # type: ignore[no-untyped-def]
    """Read one stored prediction row by id."""
    sessions = app.extensions["tagloop.core"].store.sessions

    def get(prediction_id: int) -> Prediction | None:
        with sessions() as session:
            return session.get(Prediction, prediction_id)

    return get


@pytest.fixture
def classify(client) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    """POST one text to /api/v1/classify and return the JSON (asserting 200)."""

    def post(text: str, **kwargs: Any) -> dict[str, Any]:
        response = client.post("/api/v1/classify", json={"text": text}, **kwargs)
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    return post
