"""``tagloop retrain``, ``tagloop jobs`` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagloop.cli import main


@pytest.fixture
def home(tmp_path: Path, small_trained) -> Path:  # type: ignore[no-untyped-def]
    from tagloop.config import Settings
    from tagloop.store import Store
    from tests.conftest import default_registry

    home = tmp_path / "home"
    store = Store.open(Settings(home=home))
    registry = default_registry(store, home)
    row = registry.register(small_trained.model, **small_trained.registry_metadata())
    registry.activate(row.id, actor="test")
    store.close()
    return home


def run(home: Path, *args: str, ok: bool = True) -> str:
    env = {"TAGLOOP_HOME": str(home), "TAGLOOP_DATABASE_URL": "", "TAGLOOP_QUEUE_URL": ""}
    result = CliRunner().invoke(main, list(args), env=env)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_retrain_queues_lists_and_cancels(home: Path) -> None:
    assert "job 1 queued" in run(home, "retrain", "--reason", "more feedback")
    assert "already queued" in run(home, "retrain", ok=False)
    listing = run(home, "jobs", "list")
    assert "retrain" in listing and "queued" in listing
    assert json.loads(run(home, "jobs", "list", "--json"))["params"]["reason"] == "more feedback"
    assert "job 1: cancelled" in run(home, "jobs", "cancel", "1")
    assert json.loads(run(home, "jobs", "show", "1"))["status"] == "cancelled"
    assert "does not exist" in run(home, "jobs", "show", "9", ok=False)


def test_retrain_wait_runs_here_and_leaves_the_model_active(home: Path) -> None:
    job = json.loads(run(home, "retrain", "--wait", "--json", "--param", "budget=30"))
    assert job["status"] == "succeeded" and job["candidate_id"] == 2
    # An auto version retrains as auto, its parameters (costs, budget) kept or changed.
    assert job["result"]["data"]["parent_id"] == 1
    assert job["result"]["promotion"]["promoted"] is False
    models = run(home, "models", "list")
    assert models.splitlines()[-1].startswith("* ")  # version 1, the oldest, is still active
