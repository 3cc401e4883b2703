"""``tagloop serve``, ``tagloop ensure-model``, ``tagloop db upgrade``, ``tagloop openapi``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tagloop.cli import App, fail, pass_app, project_option

if TYPE_CHECKING:
    from tagloop.config import Settings


class Server:
    """granian with tagloop's start-up, started from Python so no config file is needed.

    granian reads every connection in Rust: a client that never finishes its headers holds
    no Python thread, and with hundreds of threads per worker (idle ones end after 30 s)
    clients that trickle a body do not take them all, so tagloop can face clients directly
    (docs/deployment.md has the measurements that chose it over gunicorn).
    """

    def __init__(self, settings: Settings, host: str, port: int, workers: int, threads: int):
        from granian.constants import Interfaces
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
        from granian.server import Server as Granian

        self.settings = settings
        self.granian = Granian(
            "tagloop:create_app",  # only named in logs: the loader below builds the app
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            # A request holds its thread from its headers to its response, including while
            # its body trickles in: enough threads that slow clients do not take them all.
            blocking_threads=threads,
            http1_settings=HTTP1Settings(header_read_timeout=HEADER_TIMEOUT_MS),
            log_level=LogLevels(os.environ.get("TAGLOOP_LOG_LEVEL", "info")),
            log_access=bool(os.environ.get("TAGLOOP_ACCESS_LOG")),
            respawn_failed_workers=True,
            respawn_interval=settings.respawn_seconds,
            workers_kill_timeout=20,
        )

    def run(self) -> None:
        prepare(self.settings)
        self.granian.serve(
            spawn_target=_worker,
            target_loader=partial(_load_app, self.settings),
            wrap_loader=False,
        )


HEADER_TIMEOUT_MS = 10_000  # a connection that has not sent its headers by then is closed


def prepare(settings: Settings) -> None:
    """Runs once before any worker: migrate the schema and give the workers a clean folder
    to share Prometheus samples through."""
    from tagloop.store import Store

    Store.open(settings).close()
    metrics_dir = settings.home / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


def _load_app(settings: Settings) -> Any:
    from tagloop import create_app
    from tagloop.memory import freeze_startup_objects, keep_freed_memory

    keep_freed_memory()
    app = create_app(settings)
    freeze_startup_objects()
    return app


def _worker(*args: Any, **kwargs: Any) -> None:
    """granian's WSGI worker; at its end, its Prometheus samples are marked dead so
    ``/metrics`` keeps its counters but drops its gauges. Nothing else is owed at exit:
    every acknowledged write is already committed (store/writer.py)."""
    from granian.server.mp import MPServer
    from prometheus_client import multiprocess

    try:
        MPServer._spawn_wsgi_worker(*args, **kwargs)
    finally:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            multiprocess.mark_process_dead(os.getpid())


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
    default=256,
    show_default=True,
    type=click.IntRange(1, 1024),
    help="Threads per worker. A connection holds none until its headers are in; a request "
    "then holds one until answered, also while its body arrives (docs/deployment.md).",
)
@pass_app
def serve(app: App, host: str | None, port: int | None, workers: int | None, threads: int) -> None:
    """Serve the API and the web app (granian; SIGHUP restarts the workers gracefully)."""
    settings = app.settings
    if not settings.admin_token:
        click.echo("note: TAGLOOP_ADMIN_TOKEN is not set, so admin endpoints are refused", err=True)
    Server(
        settings, host or settings.host, port or settings.port, workers or settings.workers, threads
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
