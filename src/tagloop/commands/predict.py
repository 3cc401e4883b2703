"""``tagloop predict``: JSON Lines out, one object per input text."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from tagloop.cli import App, emit, fail, pass_app, project_option, read_lines

CHUNK = 1000


@click.command()
@project_option
@click.argument("texts", nargs=-1)
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Texts to classify: one per line, or JSON Lines / CSV / TSV (by extension or --format).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["lines", "jsonl", "csv", "tsv"]),
    help="Input format of --file or stdin (default: from the extension, else lines). "
    "The other fields of a JSONL/CSV/TSV row are written back under 'fields'.",
)
@click.option("--text-column", default="text", show_default=True, help="JSONL/CSV/TSV text field.")
@click.option(
    "--version", "version", type=int, help="A registered version (default: the active one)."
)
@click.option("--explain", is_flag=True, help="Add the tokens that drove each decision.")
@click.option(
    "--store",
    is_flag=True,
    help="Store the predictions in the project (source 'cli'), as the API does, so they "
    "can be reviewed and given feedback; each line then carries its id.",
)
@pass_app
def predict(
    app: App,
    texts: tuple[str, ...],
    file: Path | None,
    fmt: str | None,
    text_column: str,
    version: int | None,
    explain: bool,
    store: bool,
) -> None:
    """Classify TEXTS (or the texts of --file, or of stdin) and print JSON Lines:
    label, the probability of every class, and optionally the explanation."""
    from tagloop.ml.inputs import InputError, InputText, input_format, read_inputs
    from tagloop.service.models import served_version
    from tagloop.service.predictions import classify

    if texts and file:
        raise click.UsageError("give texts as arguments or --file, not both")
    project = app.project
    served = served_version(app.core, project, version)
    batch: list[InputText] = []

    def flush() -> None:
        result = classify(
            app.core,
            project,
            [item.text for item in batch],
            source="cli",
            explain=explain,
            store=store,
            served=served,
        )
        for item, p in zip(batch, result.predictions, strict=True):
            out: dict[str, object] = {
                "text": item.text,
                "label": p["label"],
                "probabilities": p["probabilities"],
                "model_version": p["model_version"],
            }
            if store:
                out["id"] = p["id"]
            if explain:
                out["explanation"] = p["explanation"]
            if structured:
                out["fields"] = item.fields
            emit(out)
        batch.clear()

    name = str(file) if file else "<stdin>"
    structured = not texts and input_format(name, fmt) != "lines"
    if texts:
        items: Iterator[InputText] = (InputText(t) for t in texts)
    elif not structured:
        items = (InputText(t) for t in read_lines(texts, file))
    else:
        stream = file.open("rb") if file else sys.stdin.buffer
        items = read_inputs(stream, name, input_format(name, fmt), text_column)
    try:
        for item in items:
            batch.append(item)
            if len(batch) >= CHUNK:
                flush()
    except InputError as exc:
        fail(str(exc))
    finally:
        if structured and file:
            stream.close()
    if batch:
        flush()


COMMANDS = [predict]
