"""Shared fixtures: the development SMS corpus and one model trained on it per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from tagloop.ml.backends.sklearn import SklearnBackend
from tagloop.ml.datasets import Dataset, load_dataset

# One thread per test process for torch (read when it is imported, which the test modules
# beside this file do after it) and for the BLAS that numpy has loaded already. The tests
# feed tiny batches, where a second thread only adds synchronisation, and under
# ``pytest -n 2`` the other core belongs to the other worker: two threads each made the
# workers wait on one another (the Flair tests, on a shared 2-core machine: 67 s of CPU, not 23).
# An OMP_NUM_THREADS set by the caller wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")
threadpool_limits(int(os.environ["OMP_NUM_THREADS"]), user_api="blas")

# The repository is checked out with the shared data folder beside it (…/clone, …/shared).
DEFAULT_SMS = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sms-spam-collection"
) / "SMSSpamCollection"


@pytest.fixture(scope="session")
def sms_path() -> Path:
    path = Path(os.environ.get("TAGLOOP_TEST_DATA", DEFAULT_SMS))
    if not path.is_file():
        pytest.fail(f"SMS corpus not found at {path}; set TAGLOOP_TEST_DATA")
    return path


@pytest.fixture(scope="session")
def sms(sms_path: Path) -> Dataset:
    return load_dataset(sms_path)


@pytest.fixture(scope="session")
def sms_model(sms: Dataset) -> SklearnBackend:
    """The shipped default configuration trained on all 4,456 development messages."""
    return SklearnBackend().fit(sms.texts, sms.labels)
