"""Promotion policy: manual by default; automatic only when better by the margin and never
when worse on the fixed evaluation set."""

from __future__ import annotations

from typing import Any

import pytest

from tagloop.service.policy import decide


def entry(a: float, b: float, higher: bool = True) -> dict[str, Any]:
    return {"a": a, "b": b, "delta": b - a, "higher_is_better": higher}


def comparison(overall: dict[str, Any], fixed: dict[str, Any]) -> dict[str, Any]:
    return {
        "eval_rows": 900,
        "metrics": overall,
        "slices": {"fixed": {"rows": 880, "metrics": fixed}, "feedback": {"rows": 20}},
    }


BETTER = comparison(
    {"macro_f1": entry(0.90, 0.95), "accuracy": entry(0.96, 0.98), "ece": entry(0.05, 0.02, False)},
    {"macro_f1": entry(0.93, 0.94), "accuracy": entry(0.97, 0.97), "ece": entry(0.04, 0.03, False)},
)


def test_manual_by_default() -> None:
    decision = decide(BETTER, "", 0.0)
    assert not decision.promote and "manual" in decision.reason


def test_promotes_when_better_by_the_margin_with_the_numbers() -> None:
    decision = decide(BETTER, "macro_f1", 0.01)
    assert decision.promote
    assert "macro_f1 0.9000 → 0.9500 (+0.0500) on 900 rows" in decision.reason
    assert "margin 0.0100" in decision.reason


def test_not_when_better_by_less_than_the_margin() -> None:
    decision = decide(BETTER, "macro_f1", 0.06)
    assert not decision.promote and "not better by the margin" in decision.reason


def test_not_when_equal() -> None:
    same = comparison({"accuracy": entry(0.9, 0.9)}, {"accuracy": entry(0.9, 0.9)})
    assert not decide(same, "accuracy", 0.0).promote


@pytest.mark.parametrize("worse", ["macro_f1", "accuracy"])
def test_never_when_worse_on_the_fixed_set_even_if_better_overall(worse: str) -> None:
    fixed = {"macro_f1": entry(0.93, 0.94), "accuracy": entry(0.97, 0.975)}
    fixed[worse] = entry(0.95, 0.949)
    overall = {"macro_f1": entry(0.80, 0.99), "accuracy": entry(0.80, 0.99)}
    decision = decide(comparison(overall, fixed), "macro_f1", 0.0)
    assert not decision.promote
    assert "worse on the fixed evaluation set" in decision.reason and worse in decision.reason


def test_lower_is_better_metrics_count_a_drop_as_a_gain() -> None:
    decision = decide(BETTER, "ece", 0.02)
    assert decision.promote and "(+0.0300)" in decision.reason
    worse_fixed = comparison(
        {"ece": entry(0.05, 0.01, False), "accuracy": entry(0.9, 0.95)},
        {"ece": entry(0.02, 0.03, False), "accuracy": entry(0.9, 0.9)},
    )
    assert not decide(worse_fixed, "ece", 0.0).promote


def test_unknown_metric_is_not_promoted() -> None:
    decision = decide(BETTER, "f2", 0.0)
    assert not decision.promote and "unknown metric" in decision.reason
