"""A retraining run: data → train → evaluate → compare → register → (maybe) promote.

The run only reads the active model; the candidate is registered at the very end, after
the last cancel checkpoint, and activated only when the promotion policy says so (and only
if the model it was compared with is still the active one). A run killed at any point
therefore leaves the served model as it was, and at most an unactivated candidate.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tagloop.config import Settings
from tagloop.jobs.policy import Decision, decide
from tagloop.jobs.state import JobRun, claim, get_job
from tagloop.ml.compare import Side, compare, summary, with_refit
from tagloop.ml.params import retraining_backend
from tagloop.ml.registry import Conflict, Registry
from tagloop.ml.retrain import RetrainError, build_retraining_data, load_feedback, training_base
from tagloop.ml.snapshots import EVAL_DIR, TRAIN_DIR, write_snapshot
from tagloop.ml.train import DEFAULT_FOLDS, cross_validate
from tagloop.store import Store
from tagloop.store.models import ModelVersion

log = logging.getLogger(__name__)
# Test-only: stretch the training stage by this many seconds (checkpointed every 0.1 s), so
# tests can kill or cancel a worker reliably in the middle of a run. See docs/loop.md.
SLOW_TRAIN_ENV = "TAGLOOP_TEST_SLOW_TRAIN_SECONDS"


@dataclass
class Context:
    """What a run needs; the worker opens it once."""

    settings: Settings
    store: Store
    registry: Registry

    @classmethod
    def open(cls, settings: Settings) -> Context:
        store = Store.open(settings)
        return cls(settings, store, Registry(store, settings.home))


def run_retrain(
    ctx: Context, job_id: int, *, on_progress: Callable[[str, float], None] | None = None
) -> bool:
    """Claim job ``job_id`` and run it to its end state; False if it was not queued."""
    if not claim(ctx.store, job_id):
        job = get_job(ctx.store, job_id)
        log.info("job %s is %s, not queued: skipped", job_id, job.status if job else "missing")
        return False
    with JobRun(ctx.store, job_id, on_progress=on_progress) as run:
        _retrain(ctx, run)
    return True


def _slow_down(run: JobRun) -> None:
    seconds = float(os.environ.get(SLOW_TRAIN_ENV) or 0)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        run.progress("training (slowed down for a test)", 0.15)
        time.sleep(min(0.1, left))


def _retrain(ctx: Context, run: JobRun) -> None:
    job = get_job(ctx.store, run.job_id)
    assert job is not None
    reason = str(job.params.get("reason") or "")
    overrides = dict(job.params.get("params") or {})
    registry = ctx.registry

    run.progress("collecting data", 0.02)
    parent = registry.active()
    if parent is None:
        raise RetrainError("no active model to retrain: train one with 'tagloop train --activate'")
    base, evaluation, refs = training_base(registry.home, parent)
    data = build_retraining_data(
        base,
        evaluation,
        load_feedback(ctx.store),
        classes=list(parent.labels),
        since=parent.created_at,
    )
    fb = data.report["feedback"]
    run.log(
        f"data: {data.report['train_rows']} training rows from version {parent.id}'s "
        f"{len(base)} and {fb['texts']} feedback texts ({fb['overrides']} overrides, "
        f"{fb['added']} added, {fb['held_out']} held out, {fb['conflicts']['count']} conflicts, "
        f"{fb['hashed_only']['skipped']} hashed-only skipped)"
    )

    run.progress("loading the active model", 0.08)
    active_model = registry.load(parent)
    model = retraining_backend(parent.backend, parent.params, overrides)

    def fit_progress(stage: str, fraction: float) -> None:
        run.progress(f"training: {stage}", 0.15 + 0.6 * fraction)

    run.progress("training", 0.15)
    _slow_down(run)
    started = time.perf_counter()
    # Cross-validated on the candidate's rows, then fitted on all of them.
    metrics = cross_validate(
        model,
        data.train.texts,
        data.train.labels,
        folds=DEFAULT_FOLDS,
        rebuild=lambda: retraining_backend(parent.backend, parent.params, overrides),
        progress=fit_progress,
    )
    seconds = time.perf_counter() - started
    selection = getattr(model, "selection_", None)
    if selection is not None:
        metrics["selection"] = selection

    run.progress("refitting both recipes without the fixed comparison set", 0.78)
    side_a = with_refit(Side(parent.id, active_model, base, evaluation))
    side_b = with_refit(Side(None, model, data.train, evaluation))
    run.progress("comparing with the active model", 0.85)
    comparison = compare(side_a, side_b, data.holdout)

    run.progress("registering the candidate", 0.95)
    run.check_cancel()  # the last point a cancel stops the run: nothing is registered yet
    report = {
        **data.report,
        "job_id": run.job_id,
        "parent_id": parent.id,
        "reason": reason,
        "requested_by": job.requested_by,
        "parent_data": refs,
    }
    split = _eval_split(ctx, parent, data.train, evaluation, len(data.holdout))
    row = registry.register(
        model,
        data_source=f"version {parent.id}'s training data + feedback (job {run.job_id})",
        data_sha256=split["train_data"]["sha256"],
        data_rows=len(data.train),
        eval_split=split,
        metrics=metrics,
        train_seconds=seconds,
        parent_id=parent.id,
        report=report,
        description=f"retrained from version {parent.id} (job {run.job_id})"
        + (f": {reason}" if reason else ""),
    )
    comparison["b_id"] = row.id
    _store_comparison(ctx.store, row.id, comparison)

    decision = decide(
        comparison, ctx.settings.auto_promote_metric, ctx.settings.auto_promote_margin
    )
    promoted = False
    if decision.promote:
        try:
            registry.activate(
                row.id,
                actor="auto",
                action="promote",
                reason=f"job {run.job_id}: {decision.reason}",
                expect_active=parent.id,
            )
            promoted = True
        except Conflict as exc:
            decision = Decision(False, f"not promoted: {exc}")
    run.log(decision.reason)
    run.succeed(
        {
            "data": report,
            "comparison": summary(comparison),
            "promotion": {
                "policy": "auto" if ctx.settings.auto_promote_metric else "manual",
                "promoted": promoted,
                "reason": decision.reason,
            },
        },
        candidate_id=row.id,
    )


def _eval_split(
    ctx: Context, parent: ModelVersion, train: Any, evaluation: Any, holdout_rows: int
) -> dict[str, Any]:
    """The candidate keeps its parent's comparison set, so versions stay comparable."""
    home = ctx.registry.home
    fixed = write_snapshot(home, EVAL_DIR, evaluation)
    return {
        "method": "cross-validation",
        "folds": DEFAULT_FOLDS,
        "comparison_set": {"inherited_from": parent.id, "rows": len(evaluation)},
        "inherited_from": parent.id,
        "path": fixed["path"],
        "sha256": fixed["sha256"],
        "test_rows": len(evaluation),
        "train_rows": len(train),
        "train_data": write_snapshot(home, TRAIN_DIR, train),
        "feedback_holdout_rows": holdout_rows,
    }


def _store_comparison(store: Store, version_id: int, comparison: dict[str, Any]) -> None:
    with store.transaction() as session:
        row = session.get(ModelVersion, version_id)
        assert row is not None
        row.comparison = comparison
