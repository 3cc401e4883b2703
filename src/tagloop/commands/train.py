"""``tagloop train`` and ``tagloop evaluate``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from tagloop.cli import App, emit, fail, pass_app, project_option
from tagloop.ml.backends.base import Progress

DATA_FORMATS = ["sms", "csv", "tsv", "jsonl"]


def data_options(f: Any) -> Any:
    f = click.option(
        "--label-column", default="label", show_default=True, help="CSV/TSV/JSONL label column."
    )(f)
    f = click.option(
        "--text-column", default="text", show_default=True, help="CSV/TSV/JSONL text column."
    )(f)
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(DATA_FORMATS),
        help="Data format (default: from the file name).",
    )(f)
    return f


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--param")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress]:
    """A rich progress bar on stderr; silent when disabled (e.g. --json)."""
    if not enabled:
        yield lambda _stage, _fraction: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description:<32}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("starting", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=fraction)

        yield report


def load_data(app: App, dataset: str | None, data: str | None, **options: Any) -> Any:
    from tagloop.ml.datasets import DataError, load_dataset, resolve_dataset

    try:
        if data or (not dataset and app.settings.data):
            return load_dataset(data or app.settings.data, **options)
        return resolve_dataset(dataset or "sms-spam", None, app.settings.home / "datasets")
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@project_option
@click.option("--dataset", help="A built-in data set (sms-spam, downloaded once).")
@click.option(
    "--data", type=click.Path(dir_okay=False), help="A local data file (default: $TAGLOOP_DATA)."
)
@data_options
@click.option(
    "--backend",
    default="auto",
    show_default=True,
    help="See 'tagloop backends'; auto picks the best candidate by cross-validation.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A backend parameter (repeatable).",
)
@click.option(
    "--max-classes",
    default=100,
    show_default=True,
    type=click.IntRange(2),
    help="Refuse a label column with more distinct values (a wrong column, usually).",
)
@click.option("--seed", default=0, show_default=True, help="Random seed (folds and model).")
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(2, 20),
    help="Cross-validation folds (duplicate texts kept in one fold).",
)
@click.option(
    "--cost",
    "costs",
    multiple=True,
    metavar="LABEL=WEIGHT",
    help="An error on a LABEL message costs WEIGHT times as much (repeatable); "
    "LABEL must be one of the data's labels.",
)
@click.option(
    "--budget",
    type=click.FloatRange(0.0, min_open=True),
    help="Seconds the auto backend may spend in all, scoring candidates and the final "
    "fit [default: 90].",
)
@click.option(
    "--activate",
    is_flag=True,
    help="Make the new version the active one (the first version always becomes active).",
)
@click.option("--description", default="", help="A note stored with the version.")
@click.option("--json", "as_json", is_flag=True, help="Print the version as JSON.")
@pass_app
def train(
    app: App,
    dataset: str | None,
    data: str | None,
    fmt: str | None,
    text_column: str,
    label_column: str,
    backend: str,
    params: tuple[str, ...],
    max_classes: int,
    seed: int,
    folds: int,
    costs: tuple[str, ...],
    budget: float | None,
    activate: bool,
    description: str,
    as_json: bool,
) -> None:
    """Train a model on all rows, its quality estimated by cross-validation, and register
    it as a new version of the project (the project's first version becomes active). The
    auto backend scores its candidates the same way and keeps the best (the leaderboard is
    printed and stored with the version)."""
    from tagloop.ml.backends.auto import leaderboard_lines
    from tagloop.ml.registry import describe
    from tagloop.ml.train import parse_costs
    from tagloop.service.training import train as run

    if dataset and data:
        raise click.UsageError("give either --dataset or --data, not both")
    backend_params = parse_params(params)
    if budget is not None:
        if backend != "auto":
            raise click.UsageError("--budget applies to --backend auto only")
        backend_params["budget"] = budget
    try:
        cost = parse_costs(costs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cost") from exc
    loaded = load_data(
        app,
        dataset,
        data,
        format=fmt,
        text_column=text_column,
        label_column=label_column,
        max_classes=max_classes,
    )
    with progress_bar(not as_json) as report:
        trained = run(
            app.core,
            app.project,
            loaded,
            actor="cli",
            backend=backend,
            params=backend_params,
            seed=seed,
            folds=folds,
            costs=cost or None,
            activate=activate,
            description=description,
            progress=report,
        )
    row, result = trained.version, trained.result
    if as_json:
        emit(describe(row, active_id=app.registry.active_id()))
        return
    m = result.metrics
    mean, sd = m["cv"]["mean"], m["cv"]["sd"]

    def figure(name: str) -> str:
        spread = "" if sd[name] is None else f" ± {sd[name]:.4f}"
        return f"{mean[name]:.4f}{spread}"

    if "selection" in m:
        click.echo("\n".join(leaderboard_lines(m["selection"])))
    chosen = m["selection"]["winner"]["candidate"] if "selection" in m else backend
    click.echo(
        f"{app.project.slug} version {row.id}: {chosen} fitted on all {loaded.rows:,} rows "
        f"in {result.train_seconds:.1f}s — {m['cv']['folds']}-fold cross-validation "
        f"(mean ± sd): accuracy {figure('accuracy')}, macro-F1 {figure('macro_f1')}, "
        f"MCC {figure('mcc')}, ECE {figure('ece')}" + (" (active)" if trained.activated else "")
    )


@click.command()
@project_option
@click.argument("version", type=int)
@click.option(
    "--data", required=True, type=click.Path(dir_okay=False), help="Labelled data to evaluate on."
)
@data_options
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@pass_app
def evaluate(
    app: App,
    version: int,
    data: str,
    fmt: str | None,
    text_column: str,
    label_column: str,
    as_json: bool,
) -> None:
    """Evaluate a registered VERSION on a labelled data file."""
    from tagloop.ml.registry import RegistryError
    from tagloop.ml.train import evaluate_model

    loaded = load_data(
        app, None, data, format=fmt, text_column=text_column, label_column=label_column
    )
    try:
        model = app.registry.load(app.registry.get(version))
        metrics = evaluate_model(model, loaded.texts, loaded.labels)
    except (RegistryError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        emit(
            {
                "version": version,
                "data": {"source": loaded.source, "sha256": loaded.sha256, "rows": loaded.rows},
                "metrics": metrics,
            }
        )
        return
    click.echo(format_metrics(metrics))


def format_metrics(m: dict[str, Any]) -> str:
    lines = [
        f"rows {m['n']:,}   accuracy {m['accuracy']:.4f}   "
        f"macro-F1 {m['macro_f1']:.4f}   MCC {m['mcc']:.4f}"
    ]
    auc = "—" if m.get("roc_auc") is None else f"{m['roc_auc']:.4f}"
    lines.append(f"ROC-AUC {auc}   ECE {m['ece']:.4f}   log-loss {m['log_loss']:.4f}")
    lines.append(f"{'class':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for label, s in m["per_class"].items():
        lines.append(
            f"{label:<16}{s['precision']:>10.4f}{s['recall']:>10.4f}{s['f1']:>10.4f}{s['support']:>10}"
        )
    cm = m["confusion_matrix"]
    lines.append("confusion matrix (rows: true, columns: predicted)")
    width = max(8, *(len(x) + 2 for x in cm["labels"]))
    lines.append(" " * 16 + "".join(f"{x:>{width}}" for x in cm["labels"]))
    for label, row in zip(cm["labels"], cm["matrix"], strict=True):
        lines.append(f"{label:<16}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


COMMANDS = [train, evaluate]
