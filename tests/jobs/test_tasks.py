"""A retraining run, in this process: it learns from feedback, stores its report and
comparison, registers a candidate, and leaves the active model alone unless policy says."""

from __future__ import annotations

import pytest

from tagloop.ml.retrain import in_feedback_holdout
from tagloop.service import retrain as tasks
from tagloop.service.job_state import create_job, get_job
from tagloop.service.policy import Decision
from tagloop.service.retrain import run_job
from tagloop.store.models import Activation
from tests.jobs.messages import PARCEL_SPAM


def retrain(ctx, **overrides):  # type: ignore[no-untyped-def]
    """A retraining job, run here; ``overrides`` change the parent version's parameters."""
    params = {"reason": "test", "params": overrides}
    job = create_job(ctx.store, ctx.project.id, "retrain", params=params, requested_by="tester")
    assert run_job(ctx.core, job.id)
    row = get_job(ctx.store, job.id)
    assert row is not None and row.status == "succeeded", row and row.error
    return row


def test_retraining_learns_the_feedback_and_does_not_activate(  # type: ignore[no-untyped-def]
    ctx, small_version, give_feedback
) -> None:
    corrected = PARCEL_SPAM[:40]
    before = ctx.registry.load(ctx.registry.get(small_version))
    assert (before.predict_proba(corrected)[:, 1] < 0.5).mean() > 0.8  # mostly called ham
    give_feedback([(text, "ham", "spam") for text in corrected])

    job = retrain(ctx)

    assert ctx.registry.active_id() == small_version
    candidate = ctx.registry.get(job.candidate_id)
    assert candidate.parent_id == small_version
    model = ctx.registry.load(candidate)
    trained = [t for t in corrected if not in_feedback_holdout(t)]
    held_out = [t for t in corrected if in_feedback_holdout(t)]
    assert held_out and trained
    assert (model.predict_proba(trained)[:, 1] > 0.5).all()
    assert (model.predict_proba(PARCEL_SPAM[40:])[:, 1] > 0.5).mean() > 0.8  # generalises

    parent = ctx.registry.get(small_version)
    assert candidate.eval_split["path"] == parent.eval_split["path"]  # the fixed set
    # Cross-validated on every row it was then fitted on.
    assert candidate.metrics["n"] == candidate.data_rows
    assert candidate.metrics["cv"]["folds"] == candidate.eval_split["folds"] == 5
    report = candidate.report
    assert report["feedback"]["added"] == len(trained)
    assert report["feedback"]["held_out"] == len(held_out)
    assert report["parent_id"] == small_version and report["reason"] == "test"

    comparison = candidate.comparison
    assert comparison["a_id"] == small_version and comparison["b_id"] == candidate.id
    assert comparison["rows"]["feedback"] == len(held_out)
    # Both versions trained on the fixed set, so refits without it score that slice.
    assert comparison["rows"]["fixed"] == parent.eval_split["comparison_set"]["rows"]
    # The held-out corrections, never trained on, are among the messages b now gets right.
    missed_before = {t for t in held_out if before.predict_proba([t])[0, 1] < 0.5}
    now_right = {c["text"] for c in comparison["changed"] if c["b"] == c["label"] == "spam"}
    assert missed_before and missed_before <= now_right

    result = job.result
    assert result["data"]["train_rows"] == candidate.data_rows
    assert result["comparison"]["b_id"] == candidate.id
    assert result["promotion"] == {
        "policy": "manual",
        "promoted": False,
        "reason": "manual promotion (TAGLOOP_AUTO_PROMOTE_METRIC is not set)",
    }
    assert "training" in job.log and job.progress == 1.0


@pytest.mark.parametrize("active_changes", [False, True])
def test_auto_promotion_is_recorded_and_only_replaces_the_model_it_beat(  # type: ignore[no-untyped-def]
    ctx, small_version, give_feedback, monkeypatch, active_changes
) -> None:
    if ctx.store.engine.dialect.name != "sqlite":
        pytest.skip("the policy wiring does not depend on the database")
    ctx.settings.auto_promote_metric = "accuracy"
    other = ctx.registry.register(
        ctx.registry.load(ctx.registry.get(small_version)), description="another"
    ).id

    def decide(comparison, metric, margin):  # type: ignore[no-untyped-def]
        assert metric == "accuracy"
        if active_changes:  # someone activates another version while the job runs
            ctx.registry.activate(other, actor="someone")
        return Decision(True, "auto-promoted: accuracy 0.9 → 0.95")

    monkeypatch.setattr(tasks, "decide", decide)
    give_feedback([(text, "ham", "spam") for text in PARCEL_SPAM[:10]])
    # The decision is made above, so any candidate will do: one, not auto's four.
    job = retrain(ctx, candidates=["cnb-word"])

    promotion = job.result["promotion"]
    latest = ctx.registry.history(1)[0]
    if active_changes:
        assert not promotion["promoted"] and "no longer the active one" in promotion["reason"]
        assert ctx.registry.active_id() == other
    else:
        assert promotion["promoted"] and ctx.registry.active_id() == job.candidate_id
        assert isinstance(latest, Activation)
        assert (latest.action, latest.actor) == ("promote", "auto")
        assert f"job {job.id}" in latest.reason and "0.9 → 0.95" in latest.reason


def test_a_cancelled_run_registers_nothing(ctx, small_version, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tagloop.service.job_state import request_cancel

    job = create_job(ctx.store, ctx.project.id, "retrain")
    monkeypatch.setenv(tasks.SLOW_TRAIN_ENV, "5")

    def cancel_on_training(stage: str, _fraction: float) -> None:
        if stage.startswith("training"):
            request_cancel(ctx.store, job.id)

    versions = len(ctx.registry.list())
    run_job(ctx.core, job.id, on_progress=cancel_on_training)
    assert get_job(ctx.store, job.id).status == "cancelled"
    assert len(ctx.registry.list()) == versions
    assert ctx.registry.active_id() == small_version


def test_retraining_without_an_active_model_fails_clearly(ctx) -> None:  # type: ignore[no-untyped-def]
    job = create_job(ctx.store, ctx.project.id, "retrain")
    run_job(ctx.core, job.id)
    row = get_job(ctx.store, job.id)
    assert row.status == "failed" and "no active model" in row.error
