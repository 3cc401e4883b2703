"""``tagloop projects list|create|show|delete``."""

from __future__ import annotations

import json

import click

from tagloop.cli import App, emit, pass_app
from tagloop.commands.train import data_options, load_data, parse_params, progress_bar


@click.group()
def projects() -> None:
    """Projects: one classifier each, with its own labels, versions and predictions."""


@projects.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one project a line.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Every project with its active version, predictions and feedback."""
    from tagloop.service.projects import list_all, summaries

    rows = summaries(app.core.store, list_all(app.core.store, app.settings))
    if as_json:
        for row in rows:
            emit(row)
        return
    default = app.settings.default_project
    click.echo(f"  {'project':<24} {'active':>6} {'predictions':>12} {'feedback':>9}  labels")
    for row in rows:
        mark = "*" if row["slug"] == default else " "
        active = "—" if row["active_version"] is None else f"v{row['active_version']}"
        labels = ", ".join(label["name"] for label in row["labels"])
        click.echo(
            f"{mark} {row['slug']:<24} {active:>6} {row['predictions']:>12,} "
            f"{row['feedback']:>9,}  {labels}"
        )


@projects.command()
@click.argument("name")
@click.option("--title", default="", help="A display name (default: NAME).")
@click.option("--description", default="", help="What the project classifies.")
@click.option(
    "--labels",
    default="",
    help="Comma-separated labels, for a project that starts without data.",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="A labelled data file: the first version is trained on it and activated.",
)
@data_options
@click.option("--backend", default="auto", show_default=True, help="See 'tagloop backends'.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A backend parameter.")
@click.option("--json", "as_json", is_flag=True, help="Print the project as JSON.")
@pass_app
def create(
    app: App,
    name: str,
    title: str,
    description: str,
    labels: str,
    data: str | None,
    fmt: str | None,
    text_column: str,
    label_column: str,
    backend: str,
    params: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create project NAME (lowercase letters, digits and '-'); with --data, train and
    activate its first version, with a progress bar."""
    from tagloop.service import projects as service
    from tagloop.service.training import train

    dataset = None
    if data:  # read and check the file before anything is created
        dataset = load_data(
            app, None, data, format=fmt, text_column=text_column, label_column=label_column
        )
    core = app.core
    label_list = [x.strip() for x in labels.split(",") if x.strip()]
    project = service.create(
        core.store,
        app.settings,
        name,
        name=title,
        description=description,
        labels=label_list,
    )
    if dataset is not None:
        with progress_bar(not as_json) as report:
            trained = train(
                core,
                project,
                dataset,
                actor="cli",
                backend=backend,
                params=parse_params(params),
                progress=report,
            )
        m = trained.result.metrics
        if not as_json:
            click.echo(
                f"{name}: version {trained.version.id} trained on {dataset.rows:,} rows and "
                f"activated — accuracy {m['accuracy']:.4f}, macro-F1 {m['macro_f1']:.4f}"
            )
    out = service.describe(core.store, core.project(name))
    if as_json:
        emit(out)
    elif dataset is None:
        click.echo(f"project {name} created (no model yet: 'tagloop train --project {name}')")


@projects.command()
@click.argument("name")
@pass_app
def show(app: App, name: str) -> None:
    """Everything about project NAME, as JSON."""
    from tagloop.service.projects import describe

    click.echo(json.dumps(describe(app.core.store, app.core.project(name)), indent=2))


@projects.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def delete(app: App, name: str, yes: bool) -> None:
    """Delete project NAME with its versions, predictions, feedback and jobs."""
    from tagloop.service.projects import delete_project

    project = app.core.project(name)
    if not yes:
        click.confirm(
            f"delete project {name} and all its versions, predictions and feedback?", abort=True
        )
    for path in delete_project(app.core.store, app.settings, project):
        (app.settings.home / path).unlink(missing_ok=True)
    click.echo(f"project {name} deleted")


COMMANDS = [projects]
