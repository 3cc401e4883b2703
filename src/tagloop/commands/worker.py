"""``tagloop worker``, ``tagloop retrain`` and ``tagloop jobs list|show|cancel``."""

from __future__ import annotations

import logging

import click

from tagloop.cli import App, emit, fail, pass_app
from tagloop.commands.train import parse_params, progress_bar


@click.command()
@pass_app
def worker(app: App) -> None:
    """Run retraining jobs from the queue (start it beside 'tagloop serve').

    SIGINT finishes the running job first; SIGTERM stops at once and marks it failed.
    """
    from tagloop.jobs.queue import QueueError
    from tagloop.jobs.worker import run_worker

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run_worker(app.settings)
    except QueueError as exc:
        fail(str(exc))


@click.command()
@click.option("--wait", is_flag=True, help="Run here with a progress bar instead of queuing.")
@click.option("--reason", default="", help="Why (kept with the job and the new version).")
@click.option(
    "--param", "params", multiple=True, metavar="KEY=VALUE", help="A backend parameter to change."
)
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@pass_app
def retrain(app: App, wait: bool, reason: str, params: tuple[str, ...], as_json: bool) -> None:
    """Retrain the active model on its data plus the feedback given since.

    Queues a job for 'tagloop worker', or with --wait runs it in this process. The new
    version is compared with the active one; it is activated only by the promotion policy
    (TAGLOOP_AUTO_PROMOTE_METRIC) or by hand ('tagloop models activate').
    """
    from tagloop.jobs.queue import RETRAIN, JobInProgress, Queue, QueueError, submit_retrain
    from tagloop.jobs.state import create_job, describe_job, get_job, recover_stale, unfinished
    from tagloop.jobs.tasks import Context, run_retrain

    ctx = Context.open(app.settings)
    extra = parse_params(params)
    if not wait:
        try:
            queue = Queue(app.settings)
            job = submit_retrain(ctx.store, queue, requested_by="cli", reason=reason, params=extra)
        except (JobInProgress, QueueError) as exc:
            fail(str(exc))
        _show(describe_job(job), as_json)
        return
    recover_stale(ctx.store)
    if pending := unfinished(ctx.store, RETRAIN):
        fail(f"retraining job {pending[0].id} is already {pending[0].status}")
    job = create_job(
        ctx.store, RETRAIN, params={"reason": reason, "params": extra}, requested_by="cli"
    )
    with progress_bar(not as_json) as report:
        run_retrain(ctx, job.id, on_progress=report)
    done = get_job(ctx.store, job.id)
    assert done is not None
    _show(describe_job(done), as_json)
    if done.status != "succeeded":
        fail(f"job {done.id} {done.status}: {done.error}")


def _show(job: dict, as_json: bool) -> None:
    if as_json:
        emit(job)
        return
    click.echo(
        f"job {job['id']} {job['status']}"
        + (f" — candidate version {job['candidate_id']}" if job["candidate_id"] else "")
    )
    promotion = (job.get("result") or {}).get("promotion")
    if promotion:
        click.echo(promotion["reason"])


@click.group()
def jobs() -> None:
    """Background jobs (retraining)."""


@jobs.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one job a line.")
@pass_app
def list_(app: App, limit: int, as_json: bool) -> None:
    """Jobs, newest first."""
    from tagloop.jobs.state import describe_job, list_jobs
    from tagloop.store import Store

    rows = list_jobs(Store.open(app.settings), limit)
    if as_json:
        for row in rows:
            emit(describe_job(row))
        return
    if not rows:
        click.echo("no jobs yet: run 'tagloop retrain'")
        return
    click.echo(
        f"{'id':>5}  {'kind':<8}  {'status':<10}  {'progress':>8}  {'created (UTC)':<19}  stage"
    )
    for row in rows:
        click.echo(
            f"{row.id:>5}  {row.kind:<8}  {row.status:<10}  {row.progress:>8.0%}  "
            f"{row.created_at:%Y-%m-%d %H:%M:%S}  {row.error or row.stage}"
        )


@jobs.command()
@click.argument("job_id", type=int)
@pass_app
def show(app: App, job_id: int) -> None:
    """Everything recorded about JOB_ID, as JSON."""
    import json

    from tagloop.jobs.state import describe_job, get_job
    from tagloop.store import Store

    row = get_job(Store.open(app.settings), job_id)
    if row is None:
        fail(f"job {job_id} does not exist")
    click.echo(json.dumps(describe_job(row), indent=2, ensure_ascii=False))  # type: ignore[arg-type]


@jobs.command()
@click.argument("job_id", type=int)
@pass_app
def cancel(app: App, job_id: int) -> None:
    """Cancel JOB_ID: at once if queued, at its next checkpoint if running."""
    from tagloop.jobs.state import request_cancel
    from tagloop.store import Store

    row = request_cancel(Store.open(app.settings), job_id, actor="cli")
    if row is None:
        fail(f"job {job_id} does not exist")
    assert row is not None
    click.echo(
        f"job {job_id}: {row.status}" + (" (cancel requested)" if row.cancel_requested else "")
    )


COMMANDS = [worker, retrain, jobs]
