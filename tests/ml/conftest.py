"""Shared fixtures: the development SMS corpus and one model trained on it per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tagloop.ml.backends.sklearn import SklearnBackend
from tagloop.ml.datasets import Dataset, load_dataset

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
