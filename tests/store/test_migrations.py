"""The Alembic migrations build exactly the schema the models describe, and several
processes can run them at once."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, MetaData, create_engine, inspect, text

from tagloop.store.db import alembic_config, make_engine, migrate
from tagloop.store.models import Base

# Each test starts from a database with no schema (or an old one), as an upgrade does.
pytestmark = pytest.mark.empty_database


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], "models changed without a migration: autogenerate one"


def _upgrade(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()


def test_concurrent_upgrades_apply_once(database_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_upgrade, args=(database_url,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"model_versions", "activations", "predictions", "feedback", "jobs"} <= tables


FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tagloop-0.1.0.sqlite"
# What tests/fixtures/tagloop-0.1.0.sqlite holds: a database made by tagloop 0.1.0 (schema 0004,
# before projects) with two versions, three activations, seven predictions (two with
# feedback), one client and one queued job.
OLD_TABLES = ("model_versions", "activations", "clients", "predictions", "feedback", "jobs")


def _release_database(database_url: str, tmp_path: Path) -> str:
    """The fixture database, as a SQLite file, or copied row by row into a PostgreSQL
    database at the same schema revision (0004)."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "old.db"
        shutil.copy(FIXTURE, path)
        return f"sqlite:///{path}"
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0004")
    source = create_engine(f"sqlite:///{FIXTURE}")
    old = MetaData()
    old.reflect(engine)
    try:
        _copy_rows(source, engine, old)
    finally:
        source.dispose()
        engine.dispose()
    return database_url


def _copy_rows(source: Any, engine: Any, old: MetaData) -> None:
    with source.connect() as src, engine.begin() as dst:
        for name in OLD_TABLES:
            rows = [dict(r._mapping) for r in src.execute(text(f"SELECT * FROM {name}"))]
            for row in rows:
                for key, value in row.items():
                    if isinstance(old.tables[name].c[key].type, JSON) and isinstance(value, str):
                        row[key] = json.loads(value)
            if rows:
                dst.execute(old.tables[name].insert(), rows)
            if "id" in old.tables[name].c and name != "clients":
                dst.execute(text(f"SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))"))


def test_an_installation_of_the_last_release_becomes_the_default_project(
    database_url: str, tmp_path: Path
) -> None:
    from tagloop.config import Settings
    from tagloop.service import projects
    from tagloop.store import Store

    url = _release_database(database_url, tmp_path)
    engine = make_engine(url)
    with engine.connect() as conn:
        before = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in OLD_TABLES}
    assert before == {
        "model_versions": 2,
        "activations": 3,
        "clients": 1,
        "predictions": 7,
        "feedback": 2,
        "jobs": 1,
    }
    migrate(engine)
    engine.dispose()

    settings = Settings(home=tmp_path / "home", database_url=url)
    store = Store.open(settings)
    try:
        [default] = projects.list_all(store, settings)
        assert default.slug == "default"
        assert [label.name for label in default.labels] == ["ham", "spam"]
        assert default.display("ham") == "not spam"  # TAGLOOP_LABEL_NAMES' default
        with store.engine.connect() as conn:
            for table in ("model_versions", "activations", "predictions", "jobs"):
                owners = conn.execute(text(f"SELECT DISTINCT project_id FROM {table}")).all()
                assert owners == [(default.id,)], table
            after = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in OLD_TABLES}
        assert after == before
        summary = projects.describe(store, default)
        # The old activation log carries over: version 1 was rolled back to.
        assert summary["active_version"] == 1
        assert (summary["predictions"], summary["feedback"]) == (7, 2)
        assert summary["agreement_rate"] == 1.0  # both feedback items agreed
        # New projects get ids after the default one, and the job index is per project.
        other = projects.create(store, settings, "tickets", labels=["a", "b"])
        assert other.id != default.id
    finally:
        store.close()


def test_the_last_releases_versions_are_answered_whole_and_as_documented(
    database_url: str, tmp_path: Path
) -> None:
    """Versions of 0.1 (scored on a holdout split, without cross-validation) through the
    API: the response schema drops nothing and the answer conforms to the document."""
    import schemathesis

    from tagloop import create_app
    from tagloop.config import Settings
    from tagloop.ml.registry import describe
    from tests.conftest import open_registry

    url = _release_database(database_url, tmp_path)
    settings = Settings(home=tmp_path / "home", database_url=url, rate_limit="")
    app = create_app(settings)
    registry = open_registry(settings)
    try:
        active = registry.active_id()
        records = {row.id: describe(row, active_id=active) for row in registry.list()}
        assert {r["eval_split"]["method"] for r in records.values()} == {"holdout"}
        assert not any("cv" in r["metrics"] for r in records.values())
        response = app.test_client().get("/api/v1/models")
        assert response.status_code == 200, response.get_json()
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
        schema["/api/v1/models"]["GET"].validate_response(response)
        assert {m["id"]: m for m in response.get_json()["items"]} == records
    finally:
        registry.store.close()
        app.extensions["tagloop.core"].close()
