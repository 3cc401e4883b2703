"""A model version's answer is its whole record (the response schema drops nothing) and
conforms to the OpenAPI document, for versions trained by the auto backend (metrics with
cross-validation and the leaderboard) and retrained from feedback (an inherited comparison
set), and so is their stored comparison."""

from __future__ import annotations

from typing import Any

import schemathesis

from tagloop.ml.registry import describe
from tests.jobs.messages import PARCEL_SPAM
from tests.jobs.test_tasks import retrain


def documented(app: Any, response: Any, path: str) -> Any:
    """The JSON of ``response`` to ``GET path`` after checking it against the document."""
    assert response.status_code == 200, response.get_json()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    schema[path]["GET"].validate_response(response)  # raises naming what does not conform
    return response.get_json()


def test_versions_and_their_comparison_are_answered_whole_and_as_documented(  # type: ignore[no-untyped-def]
    app, client, ctx, small_version, give_feedback
) -> None:
    give_feedback([(text, "ham", "spam") for text in PARCEL_SPAM[:40]])
    candidate = retrain(ctx).candidate_id
    active = ctx.registry.active_id()
    records = {row.id: describe(row, active_id=active) for row in ctx.registry.list()}
    assert "selection" in records[small_version]["metrics"]  # the auto backend's leaderboard
    assert records[candidate]["eval_split"]["inherited_from"] == small_version

    listed = documented(app, client.get("/api/v1/models"), "/api/v1/models")
    assert {m["id"]: m for m in listed["items"]} == records
    for version in (small_version, candidate):
        one = client.get(f"/api/v1/models/{version}")
        assert documented(app, one, "/api/v1/models/{model_id}") == records[version]

    path = "/api/v1/models/compare"
    compared = documented(app, client.get(f"{path}?a={small_version}&b={candidate}"), path)
    stored = ctx.registry.get(candidate).comparison
    assert compared["stored"] is True
    assert (compared["a"], compared["b"]) == (records[small_version], records[candidate])
    assert set(stored) - set(compared) == {"a_id", "b_id"}  # given whole as `a` and `b`
    assert {k: v for k, v in compared.items() if k not in ("a", "b", "stored")} == {
        k: v for k, v in stored.items() if k not in ("a_id", "b_id")
    }
