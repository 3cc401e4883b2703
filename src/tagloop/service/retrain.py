"""What the worker runs: a job of a project, by kind.

A retraining run: data → cross-validate and fit on all rows → refit both recipes without
the comparison set → compare → register → (maybe) promote.

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
from pathlib import Path
from typing import Any

from tagloop.ml.compare import Side, compare, summary, with_refit
from tagloop.ml.datasets import Dataset
from tagloop.ml.params import retraining_backend
from tagloop.ml.registry import Conflict
from tagloop.ml.retrain import RetrainError, build_retraining_data, load_feedback, training_base
from tagloop.ml.snapshots import EVAL_DIR, TRAIN_DIR, read_snapshot, write_snapshot
from tagloop.ml.train import DEFAULT_BACKEND, DEFAULT_FOLDS, cross_validate, train_model
from tagloop.service import projects
from tagloop.service.core import Core
from tagloop.service.job_state import JobRun, claim, get_job
from tagloop.service.jobs import RANK, RETRAIN, TRAIN
from tagloop.service.policy import Decision, decide
from tagloop.service.projects import ProjectRef
from tagloop.service.training import register
from tagloop.store import Store
from tagloop.store.models import ModelVersion

log = logging.getLogger(__name__)
# Test-only: stretch the training stage by this many seconds (checkpointed every 0.1 s), so
# tests can kill or cancel a worker reliably in the middle of a run. See docs/loop.md.
SLOW_TRAIN_ENV = "TAGLOOP_TEST_SLOW_TRAIN_SECONDS"


def run_job(
    core: Core, job_id: int, *, on_progress: Callable[[str, float], None] | None = None
) -> bool:
    """Claim job ``job_id`` and run it to its end state; False if it was not queued."""
    if not claim(core.store, job_id):
        job = get_job(core.store, job_id)
        log.info("job %s is %s, not queued: skipped", job_id, job.status if job else "missing")
        return False
    job = get_job(core.store, job_id)
    assert job is not None
    with JobRun(core.store, job_id, on_progress=on_progress) as run:
        project = projects.get_by_id(core.store, core.settings, job.project_id)
        if job.kind == TRAIN:
            _train(core, project, run)
        elif job.kind == RETRAIN:
            _retrain(core, project, run)
        elif job.kind == RANK:
            _rank(core, project, run)
        else:
            raise RetrainError(f"unknown job kind {job.kind!r}")
    _rerank(core, job.project_id)
    return True


def _rerank(core: Core, project_id: int) -> None:
    """Order the labelling queue by the (maybe new) active model now, not on the next
    request; a failure here is logged, the job has succeeded."""
    from tagloop.service import labelling

    try:
        project = projects.get_by_id(core.store, core.settings, project_id)
        if labelling.needs_ranking(core, project):
            labelling.rank(core, project)
    except Exception:
        log.exception("re-ranking the labelling queue of project %s failed", project_id)


def _rank(core: Core, project: ProjectRef, run: JobRun) -> None:
    """Order the labelling queue by the labels so far (``service.label_training``'s
    ``ranking_due``); once a model is active, its own ranking stands."""
    from tagloop.service import labelling

    run.progress("ranking the labelling queue", 0.1)
    with_model = core.registry(project).active_id() is not None
    ranked = labelling.rank(core, project, again=not with_model)
    run.succeed({"ranked": ranked, "by": "the model" if with_model else "the labels so far"})


def _train(core: Core, project: ProjectRef, run: JobRun) -> None:
    """Train a new version of the project from the data file a request handed over."""
    job = get_job(core.store, run.job_id)
    assert job is not None
    p = job.params
    run.progress("reading the data", 0.01)
    rows = read_snapshot(core.settings.home, p["data"])
    dataset = Dataset.from_rows(rows.texts, rows.labels, source=str(p.get("source", "upload")))

    def fit_progress(stage: str, fraction: float) -> None:
        run.progress(f"training: {stage}", 0.02 + 0.9 * fraction)

    result = train_model(
        dataset,
        backend=str(p.get("backend") or DEFAULT_BACKEND),
        params=dict(p.get("params") or {}),
        costs=project.settings.costs,
        progress=fit_progress,
    )
    run.progress("registering the version", 0.95)
    run.check_cancel()
    trained = register(
        core,
        project,
        result,
        actor=job.requested_by or "job",
        user_id=job.requested_by_id,
        activate=bool(p.get("activate")),
        description=str(p.get("description") or f"trained by job {run.job_id}"),
    )
    m = result.metrics
    run.log(
        f"version {trained.version.id}: accuracy {m['accuracy']:.4f}, macro-F1 "
        f"{m['macro_f1']:.4f}" + (" (active)" if trained.activated else "")
    )
    run.succeed(
        {"version": trained.version.id, "activated": trained.activated, "metrics": m},
        candidate_id=trained.version.id,
    )


def _slow_down(run: JobRun) -> None:
    seconds = float(os.environ.get(SLOW_TRAIN_ENV) or 0)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        run.progress("training (slowed down for a test)", 0.15)
        time.sleep(min(0.1, left))


def _retrain(core: Core, project: ProjectRef, run: JobRun) -> None:
    job = get_job(core.store, run.job_id)
    assert job is not None
    reason = str(job.params.get("reason") or "")
    overrides = dict(job.params.get("params") or {})
    registry = core.registry(project)

    run.progress("collecting data", 0.02)
    parent = registry.active()
    if parent is None:
        raise RetrainError("no active model to retrain: train one with 'tagloop train --activate'")
    base, evaluation, refs = training_base(registry.home, parent)
    data = build_retraining_data(
        base,
        evaluation,
        load_feedback(core.store, project.id),
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

    # Neither model may have trained on the rows they are compared on: both recipes are
    # refitted without the fixed comparison set (the feedback hold-out is unseen by both).
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
    split = _eval_split(core.settings.home, parent, data.train, evaluation, len(data.holdout))
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
    _store_comparison(core.store, row.id, comparison)

    policy = project.settings
    decision = decide(comparison, policy.auto_promote_metric, policy.auto_promote_margin)
    promoted = False
    if decision.promote:
        try:
            registry.activate(
                row.id,
                actor="auto",
                user_id=job.requested_by_id,
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
                "policy": "auto" if policy.auto_promote_metric else "manual",
                "promoted": promoted,
                "reason": decision.reason,
            },
        },
        candidate_id=row.id,
    )


def _eval_split(
    home: Path, parent: ModelVersion, train: Any, evaluation: Any, holdout_rows: int
) -> dict[str, Any]:
    """The candidate keeps its parent's comparison set, so versions stay comparable."""
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
