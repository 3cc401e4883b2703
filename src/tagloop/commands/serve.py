"""``tagloop serve``, ``tagloop ensure-model``, ``tagloop db upgrade``, ``tagloop openapi``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import click

from tagloop.cli import App, fail, pass_app, project_option


class Server:
    """gunicorn with tagloop's hooks, started from Python so no config file is needed."""

    def __init__(self, app: App, host: str, port: int, workers: int, threads: int) -> None:
        from gunicorn.app.base import BaseApplication

        settings = app.settings

        class _Gunicorn(BaseApplication):
            def load_config(self) -> None:
                options = {
                    "bind": f"{host}:{port}",
                    "workers": workers,
                    "threads": threads,
                    "worker_class": "gthread" if threads > 1 else "sync",
                    "accesslog": os.environ.get("TAGLOOP_ACCESS_LOG") or None,
                    "errorlog": "-",
                    "loglevel": os.environ.get("TAGLOOP_LOG_LEVEL", "info"),
                    "timeout": 60,
                    "graceful_timeout": 20,
                    "keepalive": 5,
                    "limit_request_line": 8190,
                    "proc_name": "tagloop",
                    "on_starting": _on_starting,
                    "child_exit": _child_exit,
                }
                # gunicorn ≥ 25 opens a control socket at one path per user (~/.gunicorn):
                # several servers on a machine would take it from each other, and tagloop
                # does not use it.
                if "control_socket_disable" in self.cfg.settings:
                    options["control_socket_disable"] = True
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                from tagloop import create_app

                return create_app(settings)

        def _on_starting(_server: Any) -> None:
            # Runs once in the master before any worker: migrate the schema and give the
            # workers a clean folder to share Prometheus samples through.
            from tagloop.store import Store

            Store.open(settings).close()
            metrics_dir = settings.home / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

        self.runner = _Gunicorn()

    def run(self) -> None:
        self.runner.run()


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


@click.command()
@click.option("--host", help="Address to bind (default: $TAGLOOP_HOST or 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port (default: $TAGLOOP_PORT or 8000)."
)
@click.option(
    "--workers", type=click.IntRange(1, 64), help="Worker processes (default: one per core)."
)
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker: 1 runs sync workers (behind a buffering proxy, as gunicorn "
    "advises); more runs gthread, for clients that connect directly (docs/deployment.md).",
)
@pass_app
def serve(app: App, host: str | None, port: int | None, workers: int | None, threads: int) -> None:
    """Serve the API and the web app under gunicorn."""
    settings = app.settings
    if not settings.admin_token:
        click.echo("note: TAGLOOP_ADMIN_TOKEN is not set, so admin endpoints are refused", err=True)
    Server(
        app, host or settings.host, port or settings.port, workers or settings.workers, threads
    ).run()


@click.command("ensure-model")
@project_option
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="Data to train on (default: $TAGLOOP_DATA, else the sms-spam download).",
)
@click.option(
    "--cost",
    "costs",
    multiple=True,
    metavar="LABEL=WEIGHT",
    help="Set the project's costs (kept in its settings for every later training) before "
    "training; LABEL must be one of the data's labels.",
)
@pass_app
def ensure_model(app: App, data: str | None, costs: tuple[str, ...]) -> None:
    """Make sure the project (by default the default one) has an active model: train and
    activate one if it has none."""
    from tagloop.commands.train import load_data, progress_bar
    from tagloop.ml.train import parse_costs
    from tagloop.service.training import set_costs, train

    active = app.registry.active_id()
    if active is not None:
        click.echo(f"{app.project.slug}: version {active} is active")
        return
    try:
        weights = parse_costs(costs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cost") from exc
    dataset = load_data(app, None, data)
    project = app.project
    if weights:
        project = set_costs(app.core, project, weights, dataset)
    with progress_bar(True) as report:
        trained = train(
            app.core,
            project,
            dataset,
            actor="ensure-model",
            activate=True,
            description="default model (tagloop ensure-model)",
            progress=report,
        )
    click.echo(
        f"{app.project.slug}: trained and activated version {trained.version.id} "
        f"(cross-validated accuracy {trained.result.metrics['accuracy']:.4f})"
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@pass_app
def upgrade(app: App) -> None:
    """Apply pending migrations (servers also do this when they start)."""
    from tagloop.store import Store

    Store.open(app.settings).close()
    click.echo("database is up to date")


@db.command()
@project_option
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Keep this many days (default: $TAGLOOP_RETENTION_DAYS).",
)
@pass_app
def prune(app: App, days: int | None) -> None:
    """Delete predictions (and their feedback) older than the retention period: with
    --days, of the project given by --project (default: the default project); without,
    of every project past its own retention (retention_days)."""
    from tagloop.service.retention import prune_expired
    from tagloop.store.retention import prune_predictions

    if days:
        deleted = prune_predictions(app.core.store, app.project.id, days)
        click.echo(f"{app.project.slug}: deleted {deleted:,} predictions older than {days} days")
        return
    pruned = prune_expired(app.core)
    if pruned is None:
        fail(
            "no retention period: pass --days, or set a project's retention_days "
            "(or TAGLOOP_RETENTION_DAYS)"
        )
        return
    for slug, (count, kept) in pruned.items():
        click.echo(f"{slug}: deleted {count:,} predictions older than {kept} days")


@click.command()
def openapi() -> None:
    """Print the OpenAPI document (the web app's API types are generated from it)."""
    from tagloop import create_app
    from tagloop.config import Settings

    with tempfile.TemporaryDirectory() as home:
        # A throwaway home: the document does not depend on data, and no key is kept.
        settings = Settings(home=Path(home), secret_key="spec-only")  # noqa: S106
        flask_app = create_app(settings)
        with flask_app.app_context(), warnings.catch_warnings():
            # apispec notes schemas nested in two places; the references resolve.
            warnings.filterwarnings("ignore", "has already been added", UserWarning)
            spec = flask_app.spec
        flask_app.extensions["tagloop.core"].close()
    click.echo(json.dumps(spec, indent=2, sort_keys=True))


COMMANDS = [serve, ensure_model, db, openapi]
