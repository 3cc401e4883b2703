"""``tagloop models list|show|activate|rollback|delete`` and ``tagloop backends``."""

from __future__ import annotations

import click

from tagloop.cli import App, emit, fail, pass_app, project_option


@click.group()
def models() -> None:
    """List, inspect, activate, roll back and delete model versions."""


@models.command("list")
@project_option
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one version a line.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """All versions of the project, newest first; * marks the active one."""
    from tagloop.ml.registry import describe

    registry = app.registry
    active_id = registry.active_id()
    rows = registry.list()
    if as_json:
        for row in rows:
            emit(describe(row, active_id=active_id))
        return
    if not rows:
        click.echo("no models yet: run 'tagloop train --activate'")
        return
    # Training and evaluation rows, for every version alike (the data file's row count is
    # the whole file for a first version but the training rows for a retrained one).
    header = ("id", "created (UTC)", "backend", "train", "eval", "accuracy", "MCC", "description")
    click.echo("  {:>4}  {:<19}  {:<8}  {:>7}  {:>6}  {:>8}  {:>6}  {}".format(*header))
    for row in rows:
        m = row.metrics or {}
        split = row.eval_split or {}
        mark = "*" if row.id == active_id else " "
        click.echo(
            f"{mark} {row.id:>4}  {row.created_at:%Y-%m-%d %H:%M:%S}  {row.backend:<8}  "
            f"{split.get('train_rows', 0):>7,}  {split.get('test_rows', 0):>6,}  "
            f"{m.get('accuracy', float('nan')):>8.4f}  "
            f"{m.get('mcc', float('nan')):>6.3f}  {row.description}"
        )


@models.command()
@project_option
@click.argument("version", type=int)
@click.option(
    "--leaderboard", is_flag=True, help="Print the model selection's leaderboard as a table."
)
@pass_app
def show(app: App, version: int, leaderboard: bool) -> None:
    """Everything recorded about VERSION, as JSON (or its leaderboard, as a table)."""
    from tagloop.ml.backends.auto import leaderboard_lines
    from tagloop.service.models import get_version

    described = get_version(app.core, app.project, version)
    if not leaderboard:
        click.echo(_pretty(described))
        return
    selection = (described.get("metrics") or {}).get("selection")
    if selection is None:
        fail(f"version {version} was trained with --backend {described['backend']}: no leaderboard")
    else:
        click.echo("\n".join(leaderboard_lines(selection)))


@models.command()
@project_option
@click.argument("version", type=int)
@click.option("--reason", default="", help="Why (kept in the history).")
@pass_app
def activate(app: App, version: int, reason: str) -> None:
    """Make VERSION the active one (its artifact is verified first)."""
    from tagloop.service.models import activate as run

    run(app.core, app.project, version, actor="cli", reason=reason)
    click.echo(f"{app.project.slug}: version {version} is active")


@models.command()
@project_option
@click.option("--reason", default="", help="Why (kept in the history).")
@pass_app
def rollback(app: App, reason: str) -> None:
    """Go back to the version that was active before the current one."""
    from tagloop.service.models import rollback as run

    row = run(app.core, app.project, actor="cli", reason=reason)["activation"]
    click.echo(
        f"{app.project.slug}: rolled back, version {row['model_id']} is active "
        f"(was {row['previous_model_id']})"
    )


@models.command()
@project_option
@click.argument("version", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def delete(app: App, version: int, yes: bool) -> None:
    """Delete VERSION and its artifact (not the active one)."""
    from tagloop.service.models import delete_version

    if not yes:
        click.confirm(f"delete version {version} and its artifact?", abort=True)
    delete_version(app.core, app.project, version)
    click.echo(f"{app.project.slug}: version {version} deleted")


@models.command()
@project_option
@pass_app
def history(app: App) -> None:
    """Activations and rollbacks, newest first."""
    from tagloop.service.models import history as run

    for row in run(app.core, app.project):
        was = row["previous_model_id"]
        click.echo(
            f"{row['created_at'][:19].replace('T', ' ')}  {row['action']:<8}  v{row['model_id']}"
            f"{'' if was is None else f' (was v{was})'}"
            f"  by {row['actor'] or '?'}  {row['reason']}"
        )


@click.command()
def backends() -> None:
    """The classifier backends that can be used with 'train --backend', and their
    parameters (set with 'train --param KEY=VALUE', values in JSON)."""
    from tagloop.ml.backends import available_backends, get_backend
    from tagloop.ml.backends.registry import BackendUnavailable
    from tagloop.ml.params import describe_params

    for name in available_backends():
        try:
            backend = get_backend(name)
        except BackendUnavailable as exc:
            click.echo(f"{name}  (unavailable: {exc})")
            continue
        click.echo(name)
        candidates = getattr(backend, "candidate_names", None)
        if candidates is not None:
            click.echo(
                f"  candidates: {', '.join(candidates())} "
                "(hybrid when the flair extra is installed and its estimate fits the budget)"
            )
        for param, kind, default in describe_params(backend):
            click.echo(f"  {param:<20} {kind:<36} default {_default(default)}")


def _default(value: object) -> str:
    import json
    from collections.abc import Mapping

    if value is None:
        return "chosen by the backend"
    if isinstance(value, Mapping):
        value = dict(value)
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value)


def _pretty(data: object) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False)


COMMANDS = [models, backends]
