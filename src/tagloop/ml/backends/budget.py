"""The time budget of model selection: what is spent, what the winner's refit will need.

``auto`` scores candidates one after another under one budget that covers the whole run,
the final fit on all rows included. Each scored candidate's refit is estimated from its fold
fits (a fold trains on (k - 1)/k of the rows; the refit on all of them), and that of the best
so far is kept in reserve: a later candidate starts only if the budget left after the reserve
covers at least one fold of the fastest candidate seen, and one that would end past it (its
remaining folds plus the larger of its own refit and the reserve) is stopped after a fold.
A later candidate whose whole cost is estimated up front (``estimate.py``: the hybrid's
encoding; the n-gram candidates' vectorisation on large data) is skipped when that estimate
does not fit.
"""

from __future__ import annotations

import time


class OverBudget(Exception):
    """A candidate's remaining folds and the refit would end past the budget."""


class Budget:
    def __init__(self, seconds: float, folds: int) -> None:
        self.seconds = seconds
        self.folds = folds
        self.started = time.perf_counter()
        self.reserve = 0.0  # the best candidate's estimated refit
        self.reserved_for = ""
        self.fastest_fold: float | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Seconds left once the best candidate's refit is set aside."""
        return self.seconds - self.elapsed() - self.reserve

    def refit_estimate(self, fold_seconds: float) -> float:
        """A fold's fit scaled from (k - 1)/k of the rows to all of them."""
        return fold_seconds * self.folds / (self.folds - 1)

    def keep_for(self, name: str, fold_seconds: float) -> None:
        """``name`` is now the best: set its refit aside."""
        self.reserve, self.reserved_for = self.refit_estimate(fold_seconds), name

    def saw_fold(self, fold_seconds: float) -> None:
        if self.fastest_fold is None or fold_seconds < self.fastest_fold:
            self.fastest_fold = fold_seconds

    def why_not_start(self) -> str | None:
        """Why a later candidate should not start now, or None."""
        left = self.left()
        if left <= 0 or (self.fastest_fold is not None and left < self.fastest_fold):
            return (
                f"budget spent: {self.elapsed():.0f} s of {self.seconds:.0f} s used and "
                f"{self.reserve:.0f} s kept for fitting {self.reserved_for} on all rows"
            )
        return None

    def why_not_estimated(self, estimate: float, what: str = "estimated") -> str | None:
        """Why a candidate estimated to take ``estimate`` seconds in all should not run."""
        left = self.left()
        if estimate > left:
            return (
                f"{what} {estimate:.0f} s > {max(left, 0):.0f} s left of the budget "
                f"{self.seconds:.0f} s"
                + (
                    f" (after {self.reserve:.0f} s kept for fitting {self.reserved_for})"
                    if self.reserve >= 0.5
                    else ""
                )
            )
        return None

    def check_fold(self, done: int, fold_started: float) -> None:
        """After ``done`` folds of a later candidate: raise ``OverBudget`` if its remaining
        folds and the refit (its own or the reserve, whichever is larger) end past the budget."""
        now = time.perf_counter()
        per_fold = (now - fold_started) / done
        rest = per_fold * (self.folds - done)
        refit = max(self.refit_estimate(per_fold), self.reserve)
        end = now - self.started + rest + refit
        if end > self.seconds:
            raise OverBudget(
                f"stopped after {done} of {self.folds} folds: {rest:.0f} s more and "
                f"{refit:.0f} s for the refit would end at {end:.0f} s, past the budget "
                f"{self.seconds:.0f} s"
            )
