"""Training in the core: every row, cross-validated figures, and costs that name labels of
the data (given per training or kept in the project's settings)."""

from __future__ import annotations

import pytest

from tagloop.ml.datasets import Dataset
from tagloop.service import projects, training
from tagloop.service.errors import Invalid

TEXTS = [f"win a prize now {i}" for i in range(30)] + [f"see you at lunch {i}" for i in range(30)]
LABELS = ["spam"] * 30 + ["legit"] * 30


@pytest.fixture
def small() -> Dataset:
    return Dataset.from_rows(TEXTS, LABELS, "small")


def test_a_version_is_fitted_on_every_row_with_cross_validated_figures(core, small) -> None:  # type: ignore[no-untyped-def]
    project = projects.create(core.store, core.settings, "fit-all")
    trained = training.train(core, project, small, actor="test", backend="linear", folds=3)
    split = trained.version.eval_split
    assert (split["method"], split["folds"], split["train_rows"]) == ("cross-validation", 3, 60)
    cv = trained.version.metrics["cv"]
    assert cv["folds"] == 3 and sum(cv["fold_rows"]) == 60
    assert trained.version.params["class_weight"] is None  # the library default names no label


def test_the_project_costs_apply_when_no_cost_is_given_and_an_explicit_one_wins(
    core, small
) -> None:  # type: ignore[no-untyped-def]
    project = projects.create(
        core.store, core.settings, "costly", project_settings={"costs": {"legit": 3}}
    )
    assert project.settings.costs == {"legit": 3}
    kept = training.train(core, project, small, actor="test", backend="linear", folds=3)
    assert kept.version.params["class_weight"] == {"legit": 3.0}
    given = training.train(
        core, project, small, actor="test", backend="linear", folds=3, costs={"spam": 2}
    )
    assert given.version.params["class_weight"] == {"spam": 2.0}


def test_a_cost_on_a_label_the_data_lacks_is_refused_naming_it(core, small) -> None:  # type: ignore[no-untyped-def]
    project = projects.create(
        core.store, core.settings, "wrong", project_settings={"costs": {"ham": 2}}
    )
    with pytest.raises(Invalid, match="'ham' that the data does not have"):
        training.train(core, project, small, actor="test", backend="linear")
    with pytest.raises(Invalid, match="'ham' that the data does not have"):
        training.set_costs(core, project, {"ham": 2}, small)
    assert core.registry(project).list() == []


def test_set_costs_keeps_them_in_the_project_settings(core, small) -> None:  # type: ignore[no-untyped-def]
    project = projects.create(core.store, core.settings, "kept")
    updated = training.set_costs(core, project, {"legit": 2.0}, small)
    assert core.project("kept").settings.costs == {"legit": 2.0} == updated.settings.costs


@pytest.mark.parametrize("costs", [{"ham": 0}, {"ham": -1}, {"ham": "2"}, {"ham": True}, ["ham"]])
def test_bad_cost_settings_are_refused(core, costs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid, match="setting 'costs'"):
        projects.create(core.store, core.settings, "bad", project_settings={"costs": costs})
