"""``tagloop worker``, ``tagloop retrain`` and ``tagloop jobs list|show|cancel``."""

from __future__ import annotations

import logging

import click

from tagloop.cli import App, emit, fail, pass_app, project_option
from tagloop.commands.train import parse_params, progress_bar


@click.command()
@pass_app
def worker(app: App) -> None:
    """Run jobs (training, retraining) of every project from the queue (start it beside
    'tagloop serve').

    SIGINT finishes the running job first; SIGTERM stops at once and marks it failed.
    """
    from tagloop.jobs.worker import run_worker
    from tagloop.service.queue import QueueError

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run_worker(app.settings)
    except QueueError as exc:
        fail(str(exc))


@click.command()
@project_option
@click.option("--wait", is_flag=True, help="Run here with a progress bar instead of queuing.")
@click.option("--reason", default="", help="Why (kept with the job and the new version).")
@click.option(
    "--param", "params", multiple=True, metavar="KEY=VALUE", help="A backend parameter to change."
)
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@pass_app
def retrain(app: App, wait: bool, reason: str, params: tuple[str, ...], as_json: bool) -> None:
    """Retrain the project's active model on its data plus the feedback given since.

    Queues a job for 'tagloop worker', or with --wait runs it in this process. The new
    version is compared with the active one; it is activated only by the project's
    promotion policy or by hand ('tagloop models activate').
    """
    from tagloop.service import jobs
    from tagloop.service.job_state import describe_job, get_job
    from tagloop.service.retrain import run_job

    core, project = app.core, app.project
    if not wait:
        job = jobs.retrain(
            core, project, requested_by="cli", reason=reason, params=parse_params(params)
        )
        _show(describe_job(job), as_json)
        return
    job = jobs.retrain(
        core, project, requested_by="cli", reason=reason, params=parse_params(params), queue=False
    )
    with progress_bar(not as_json) as report:
        run_job(core, job.id, on_progress=report)
    done = get_job(core.store, job.id)
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
    """A project's background jobs (training, retraining)."""


@jobs.command("list")
@project_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one job a line.")
@pass_app
def list_(app: App, limit: int, as_json: bool) -> None:
    """The project's jobs, newest first."""
    from tagloop.service.jobs import jobs as run

    rows = run(app.core, app.project, limit)
    if as_json:
        for row in rows:
            emit(row)
        return
    if not rows:
        click.echo("no jobs yet: run 'tagloop retrain'")
        return
    click.echo(
        f"{'id':>5}  {'kind':<8}  {'status':<10}  {'progress':>8}  {'created (UTC)':<19}  stage"
    )
    for row in rows:
        click.echo(
            f"{row['id']:>5}  {row['kind']:<8}  {row['status']:<10}  {row['progress']:>8.0%}  "
            f"{row['created_at'][:19].replace('T', ' ')}  {row['error'] or row['stage']}"
        )


@jobs.command()
@project_option
@click.argument("job_id", type=int)
@pass_app
def show(app: App, job_id: int) -> None:
    """Everything recorded about JOB_ID, as JSON."""
    import json

    from tagloop.service.jobs import job

    click.echo(json.dumps(job(app.core, app.project, job_id), indent=2, ensure_ascii=False))


@jobs.command()
@project_option
@click.argument("job_id", type=int)
@pass_app
def cancel(app: App, job_id: int) -> None:
    """Cancel JOB_ID: at once if queued, at its next checkpoint if running."""
    from tagloop.service.jobs import cancel as run

    row = run(app.core, app.project, job_id, actor="cli")
    click.echo(
        f"job {job_id}: {row['status']}"
        + (" (cancel requested)" if row["cancel_requested"] else "")
    )


COMMANDS = [worker, retrain, jobs]
