"""The core without HTTP: a ``Core`` on a fresh database, the SMS model active in the
default project, and a second project (three ticket teams) with its own model."""

from __future__ import annotations

from pathlib import Path

import pytest

TICKETS = Path(__file__).resolve().parents[1] / "fixtures" / "tickets.csv"


@pytest.fixture(scope="session")
def tickets_trained():  # type: ignore[no-untyped-def]
    from tagloop.ml.datasets import load_dataset
    from tagloop.ml.train import train_model

    dataset = load_dataset(TICKETS, text_column="body", label_column="team")
    return train_model(dataset, seed=0)


@pytest.fixture
def core(settings, active_version):  # type: ignore[no-untyped-def]
    from tagloop.service.core import Core

    opened = Core.open(settings)
    yield opened
    opened.close()


@pytest.fixture
def tickets(core, tickets_trained):  # type: ignore[no-untyped-def]
    """Project 'tickets' with its first version trained and active."""
    from tagloop.service import projects
    from tagloop.service.training import register

    project = projects.create(core.store, core.settings, "tickets", name="Ticket router")
    trained = register(core, project, tickets_trained, actor="test")
    assert trained.activated
    return core.project("tickets")
