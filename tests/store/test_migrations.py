"""The Alembic migrations build exactly the schema the models describe, and several
processes can run them at once."""

from __future__ import annotations

import multiprocessing

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tagloop.store.db import make_engine, migrate
from tagloop.store.models import Base


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
