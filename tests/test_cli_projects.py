"""``tagloop projects`` and ``--project`` through click's runner: two classifiers in one
home, each command working on the one it is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagloop.cli import main

TICKETS = Path(__file__).resolve().parent / "fixtures" / "tickets.csv"


def run(env: dict[str, str], *args: str, ok: bool = True, **extra: str) -> str:
    result = CliRunner(env={**env, **extra}).invoke(main, list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result.output


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = {
        "TAGLOOP_HOME": str(tmp_path / "home"),
        "TAGLOOP_DATABASE_URL": "",
        "TAGLOOP_PROJECT": "",
    }
    out = run(
        home,
        "projects",
        "create",
        "tickets",
        "--data",
        str(TICKETS),
        "--text-column",
        "body",
        "--label-column",
        "team",
    )
    assert "tickets: version 1 trained on 90 rows and activated" in out
    return home


def test_create_list_show_and_delete(env: dict[str, str]) -> None:
    listing = run(env, "projects", "list")
    assert "default" in listing and "tickets" in listing and "billing, bug, feature" in listing
    shown = json.loads(run(env, "projects", "show", "tickets"))
    assert shown["active_version"] == 1 and shown["labels"][0]["name"] == "billing"
    empty = run(env, "projects", "create", "sentiment", "--labels", "pos,neg,neutral")
    assert "no model yet" in empty
    rows = [json.loads(line) for line in run(env, "projects", "list", "--json").splitlines()]
    assert {r["slug"]: r["active_version"] for r in rows} == {
        "default": None,
        "sentiment": None,
        "tickets": 1,
    }
    assert "already exists" in run(env, "projects", "create", "tickets", ok=False)
    assert "deleted" in run(env, "projects", "delete", "sentiment", "--yes")
    assert "does not exist" in run(env, "projects", "show", "sentiment", ok=False)
    assert "default project" in run(env, "projects", "delete", "default", "--yes", ok=False)


def test_a_bad_file_creates_nothing(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("body,team\nfine,bug\n,billing\n")
    out = run(
        env,
        "projects",
        "create",
        "broken",
        "--data",
        str(bad),
        "--label-column",
        "team",
        "--text-column",
        "body",
        ok=False,
    )
    assert "bad.csv:3" in out
    assert "broken" not in run(env, "projects", "list")


def test_every_command_works_on_the_project_it_is_given(env: dict[str, str]) -> None:
    line = json.loads(run(env, "predict", "--project", "tickets", "I was charged twice"))
    assert line["label"] == "billing" and "id" not in line  # not stored without --store
    stored = json.loads(
        run(env, "predict", "--store", "the app crashes on save", TAGLOOP_PROJECT="tickets")
    )
    assert stored["label"] == "bug" and stored["id"] == 1
    assert "no active model" in run(env, "predict", "hello", ok=False)  # the default project
    models = run(env, "models", "list", "--project", "tickets")
    assert models.splitlines()[1].startswith("*    1")
    assert "no models yet" in run(env, "models", "list")
    assert "'nope' does not exist" in run(env, "models", "list", "--project", "nope", ok=False)
    history = run(env, "models", "history", "--project", "tickets")
    assert "activate" in history and "v1" in history


def test_a_project_starts_from_labels_and_an_unlabelled_file(tmp_path: Path) -> None:
    env = {"TAGLOOP_HOME": str(tmp_path / "home"), "TAGLOOP_DATABASE_URL": ""}
    run(env, "projects", "create", "inbox", "--labels", "bug,billing,other")
    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"text": "a crash", "id": 1}\n{"text": "refund"}\n{"text": "a crash"}\n')
    out = run(env, "import", "--project", "inbox", str(texts), "--json")
    assert json.loads(out.strip().splitlines()[-1]) == {
        "source": str(texts),
        "rows": 3,
        "added": 2,
        "labelled": 0,
        "duplicates": 1,
        "already_present": 0,
    }
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"body": "no text"}\n')
    out = run(env, "import", "--project", "inbox", str(bad), ok=False)
    assert f"{bad}:2: no text field 'text'" in out
    # Label Studio tasks come in labelled; the export gives them back with who and when.
    tasks = tmp_path / "tasks.json"
    tasks.write_text(
        json.dumps(
            [
                {
                    "data": {"text": "cannot log in"},
                    "annotations": [{"result": [{"value": {"choices": ["bug"]}}]}],
                }
            ]
        )
    )
    run(env, "import", "--project", "inbox", str(tasks))
    out = run(env, "export", "--project", "inbox", "--format", "jsonl")
    assert [json.loads(line)["label"] for line in out.splitlines()] == ["bug"]
    assert json.loads(out)["labelled_by"] == "cli"
