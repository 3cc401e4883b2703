"""``tagloop predict``: JSON Lines out, one object per input text."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from tagloop.cli import App, emit, fail, pass_app, read_lines

CHUNK = 1000


@click.command()
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
@pass_app
def predict(
    app: App,
    texts: tuple[str, ...],
    file: Path | None,
    fmt: str | None,
    text_column: str,
    version: int | None,
    explain: bool,
) -> None:
    """Classify TEXTS (or the texts of --file, or of stdin) and print JSON Lines:
    label, the probability of every class, and optionally the explanation."""
    from tagloop.ml.inputs import InputError, InputText, input_format, read_inputs
    from tagloop.ml.registry import RegistryError

    if texts and file:
        raise click.UsageError("give texts as arguments or --file, not both")
    registry = app.registry
    try:
        version = version if version is not None else registry.active_id()
        if version is None:
            fail("no active model: run 'tagloop train --activate' or pass --version")
        model = registry.load(registry.get(version))
    except RegistryError as exc:
        fail(str(exc))
    labels = list(model.classes_)
    batch: list[InputText] = []

    def flush() -> None:
        proba = model.predict_proba([item.text for item in batch])
        for item, row in zip(batch, proba.tolist(), strict=True):
            text = item.text
            best = max(range(len(labels)), key=row.__getitem__)
            out: dict[str, object] = {
                "text": text,
                "label": labels[best],
                "probabilities": dict(zip(labels, row, strict=True)),
                "model_version": version,
            }
            if explain:
                out["explanation"] = [c.as_dict() for c in model.explain(text, labels[best])]
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
