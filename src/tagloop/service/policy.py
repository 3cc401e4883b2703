"""Promotion policy: manual unless ``TAGLOOP_AUTO_PROMOTE_METRIC`` is set.

With a metric set, a candidate is promoted when it beats the active model on that metric, on
all the comparison's rows, by at least ``TAGLOOP_AUTO_PROMOTE_MARGIN`` — and never when it
is worse than the active model on the fixed evaluation set, on that metric or on accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EPSILON = 1e-12


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def _gain(entry: dict[str, Any]) -> float | None:
    """How much better b is than a (positive = better), whichever way the metric points."""
    delta = entry.get("delta")
    if delta is None:
        return None
    return float(delta) if entry.get("higher_is_better", True) else -float(delta)


def decide(comparison: dict[str, Any], metric: str, margin: float) -> Decision:
    """Should candidate ``b`` of ``comparison`` replace active model ``a``?"""
    if not metric:
        return Decision(False, "manual promotion (TAGLOOP_AUTO_PROMOTE_METRIC is not set)")
    table = comparison.get("metrics", {})
    if metric not in table:
        known = ", ".join(sorted(table))
        return Decision(False, f"unknown metric {metric!r} for auto-promotion (known: {known})")
    fixed = comparison.get("slices", {}).get("fixed", {})
    fixed_table = fixed.get("metrics", {})
    for name in dict.fromkeys([metric, "accuracy"]):
        entry = fixed_table.get(name)
        gain = None if entry is None else _gain(entry)
        if gain is None:
            return Decision(False, f"not promoted: no {name} on the fixed evaluation set")
        if gain < -EPSILON:
            return Decision(
                False,
                f"not promoted: worse on the fixed evaluation set ({fixed.get('rows', 0)} rows): "
                f"{name} {entry['a']:.4f} → {entry['b']:.4f}",
            )
    entry = table[metric]
    gain = _gain(entry)
    rows = comparison.get("eval_rows", 0)
    if gain is None:
        return Decision(False, f"not promoted: {metric} is undefined on the evaluation rows")
    numbers = f"{metric} {entry['a']:.4f} → {entry['b']:.4f} ({gain:+.4f}) on {rows} rows"
    if gain > EPSILON and gain >= margin - EPSILON:
        return Decision(True, f"auto-promoted: {numbers}, margin {margin:.4f}")
    return Decision(False, f"not promoted: {numbers} is not better by the margin {margin:.4f}")
