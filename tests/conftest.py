"""Shared fixtures: the training data, a model trained once per session, and a fresh app
with a fresh database per test — a real SQLite file, and a real PostgreSQL database when
``TAGLOOP_TEST_POSTGRES_URL`` points at a server (``make test`` starts one)."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

# One thread per test process (and per server or worker the tests start, which inherit it)
# for torch and for numpy's BLAS, set before either is imported. The tests feed tiny
# batches, where a second thread only adds synchronisation, and under ``pytest -n 2`` the
# other core belongs to the other worker: two threads each made the workers wait on one
# another (the Flair tests on a shared 2-core machine: 67 s of CPU, not 23). An
# OMP_NUM_THREADS set by the caller wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from tagloop.config import Settings

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "test-admin-token"
# The test install has the flair extra, so ``auto`` would also try the sentence-embedding
# hybrid (loading torch and encoding every text) in every training; only the tests about the
# hybrid need that (they unset this; tests/ml/test_hybrid_backend.py).
AUTO_CANDIDATES = "cnb-word,svm-word+char,ridge-char,svm-word"
os.environ.setdefault("TAGLOOP_AUTO_CANDIDATES", AUTO_CANDIDATES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Playwright shards (tests/e2e) first: ``--dist loadgroup`` hands out the groups,
    then single tests in collection order, and a shard of a minute or more handed out last
    leaves the other workers idle at the end of the run."""
    shards = [
        item for item in items if item.nodeid.startswith("tests/e2e/test_web.py::test_playwright")
    ]
    items[:] = shards + [item for item in items if item not in shards]


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed in the test process use argon2id at its cheapest parameters, as
    Django advises for test suites: tagloop's own (64 MiB, 3 passes, 4 lanes) cost 0.1-0.2 s
    a hash, and a test of roles makes five accounts. Hashing and verifying are still real
    argon2id; servers started by the tests use the real parameters, and a test marked
    ``real_password_cost`` (the one that checks them) keeps them too."""
    if request.node.get_closest_marker("real_password_cost"):
        return
    from argon2 import PasswordHasher, profiles

    from tagloop.service import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


def shared_data_path() -> Path:
    override = os.environ.get("TAGLOOP_TEST_DATA")
    path = (
        Path(override)
        if override
        else ROOT.parent / "shared/data/sms-spam-collection/SMSSpamCollection"
    )
    if not path.is_file():
        pytest.fail(f"training data not found at {path}: clone with ../shared beside the repo")
    return path


@pytest.fixture(scope="session")
def sms_path() -> Path:
    return shared_data_path()


@pytest.fixture(scope="session")
def sms_dataset(sms_path: Path):  # type: ignore[no-untyped-def]
    from tagloop.ml.datasets import load_dataset

    return load_dataset(sms_path)


@pytest.fixture(scope="session")
def trained(sms_dataset):  # type: ignore[no-untyped-def]
    """The char n-gram ridge (``sklearn`` backend) trained once on the shared data (a
    TrainResult); the API tests check its parameters. ``auto`` is tested in tests/ml and by
    the retraining tests (tests/jobs)."""
    from tagloop.ml.train import train_model

    return train_model(sms_dataset, backend="sklearn", seed=0)


POSTGRES_URL = os.environ.get("TAGLOOP_TEST_POSTGRES_URL", "")


def _postgres_admin() -> Engine:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("TAGLOOP_TEST_POSTGRES_URL is not set: run the tests with 'make test'")
        pytest.skip("no PostgreSQL server (set TAGLOOP_TEST_POSTGRES_URL or run 'make test')")
    admin_url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _postgres_database(template: str = "") -> Iterator[str]:
    """A new database on the test server, dropped afterwards: empty, or a copy of
    ``template``."""
    admin = _postgres_admin()
    name = f"tagloop_t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        base = POSTGRES_URL.rsplit("/", 1)[0]
        try:
            yield f"{base}/{name}"
        finally:
            _drop_database(admin, name)
    finally:
        admin.dispose()  # also when the drop fails, so no connection is left to leak


def _drop_database(admin: Engine, name: str, attempts: int = 20) -> None:
    """FORCE ends the test's own connections; a backend this role may not end (a server
    process of another role still attached for a moment) made it fail once in CI, so wait a
    few seconds for it before giving up."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def _migrated(url: str) -> None:
    from tagloop.store.db import make_engine, migrate

    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()  # a template is copied only while nobody is connected to it


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test process; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "tagloop.db"
    _migrated(f"sqlite:///{path}")
    assert not path.with_name("tagloop.db-wal").exists()  # the last close checkpointed it
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per test process, the template of each
    test's database (CREATE DATABASE ... TEMPLATE copies it in a fraction of a migration)."""
    template = _postgres_database()
    url = next(template)
    _migrated(url)
    yield url.rsplit("/", 1)[1]
    next(template, None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of this test's own, once as a SQLite file, once on PostgreSQL. It
    holds no rows and its schema is at head: a copy of a database migrated once per test
    process, so opening it finds nothing to migrate. A test marked ``empty_database``
    (migrations, servers meeting a new database) gets one with no schema at all."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "tagloop.db"
        if not empty:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        yield f"sqlite:///{path}"
    elif empty:
        yield from _postgres_database()
    else:
        yield from _postgres_database(template=request.getfixturevalue("migrated_postgres"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        secret_key="test-secret",
        rate_limit="",
        model_poll_seconds=0,
    )


def default_registry(store, home: Path):  # type: ignore[no-untyped-def]
    """The default project's registry in ``store`` (the project made if missing)."""
    from tagloop.ml.registry import Registry
    from tagloop.service import projects

    project = projects.ensure_default(store, Settings(home=home))
    return Registry(store, home, project.id)


def open_registry(settings: Settings, project: str | None = None):  # type: ignore[no-untyped-def]
    """The registry of a project (the default one unless named) in ``settings``' database,
    made on first use like a server does."""
    from tagloop.ml.registry import Registry
    from tagloop.service import projects
    from tagloop.store import Store

    store = Store.open(settings)
    default = projects.ensure_default(store, settings)
    ref = projects.get(store, settings, project) if project else default
    return Registry(store, settings.home, ref.id)


@pytest.fixture
def registry(settings: Settings):  # type: ignore[no-untyped-def]
    reg = open_registry(settings)
    yield reg
    reg.store.close()


@pytest.fixture
def active_version(registry, trained) -> int:  # type: ignore[no-untyped-def]
    """Register the session's trained model in this test's registry and activate it."""
    row = registry.register(trained.model, **trained.registry_metadata())
    registry.activate(row.id, actor="test", reason="fixture")
    return row.id


@pytest.fixture
def app(settings: Settings, active_version: int):  # type: ignore[no-untyped-def]
    from tagloop import create_app

    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    yield flask_app
    flask_app.extensions["tagloop.core"].close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
