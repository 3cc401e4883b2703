"""``tagloop import``: unlabelled texts into a project, for labelling."""

from __future__ import annotations

import click

from tagloop.cli import App, emit, pass_app, project_option
from tagloop.commands.train import progress_bar


@click.command("import")
@project_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "tsv", "jsonl", "lines", "labelstudio"]),
    help="File format (default: from the name: .csv, .tsv, .jsonl, .json for a Label Studio "
    "export; anything else is one text a line).",
)
@click.option(
    "--text-column", default="text", show_default=True, help="CSV/TSV column or JSONL field."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def import_(app: App, file: str, fmt: str | None, text_column: str, as_json: bool) -> None:
    """Add the unlabelled texts of FILE to a project's labelling queue.

    Identical texts are stored once; other columns are kept as metadata. A bad line stops
    the import with its file and line named, and nothing is stored.
    """
    from tagloop.ml.datasets import DataError
    from tagloop.service.items import import_file

    try:
        with progress_bar(not as_json) as report:
            result = import_file(
                app.core,
                app.project,
                file,
                format=fmt,
                text_column=text_column,
                progress=report,
                labelled_by="cli",
            )
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit(result.as_dict())
        return
    click.echo(
        f"{app.project.slug}: {result.added:,} texts added from {result.rows:,} rows "
        f"({result.duplicates:,} repeated in the file, {result.already_present:,} already "
        "in the project)"
    )


@click.command()
@project_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "labelstudio"]),
    default="csv",
    show_default=True,
    help="labelstudio: Label Studio's JSON tasks, to import there.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Default: stdout."
)
@pass_app
def export(app: App, fmt: str, output: str | None) -> None:
    """Write a project's labelled items: text, label, who, when and metadata."""
    from tagloop.service.label_export import export as export_labels

    chunks = export_labels(app.core, app.project, fmt)
    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    with open(output, "w", encoding="utf-8", newline="") as out:
        out.writelines(chunks)


COMMANDS = [import_, export]
