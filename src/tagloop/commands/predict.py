"""``tagloop predict``: JSON Lines out, one object per input text."""

from __future__ import annotations

from pathlib import Path

import click

from tagloop.cli import App, emit, pass_app, project_option, read_lines

CHUNK = 1000


@click.command()
@project_option
@click.argument("texts", nargs=-1)
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="One text per line.",
)
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
    version: int | None,
    explain: bool,
    store: bool,
) -> None:
    """Classify TEXTS (or the lines of --file, or of stdin) and print JSON Lines:
    label, the probability of every class, and optionally the explanation."""
    from tagloop.service.models import served_version
    from tagloop.service.predictions import classify

    if texts and file:
        raise click.UsageError("give texts as arguments or --file, not both")
    project = app.project
    served = served_version(app.core, project, version)
    batch: list[str] = []

    def flush() -> None:
        result = classify(
            app.core, project, batch, source="cli", explain=explain, store=store, served=served
        )
        for text, p in zip(batch, result.predictions, strict=True):
            out = {
                "text": text,
                "label": p["label"],
                "probabilities": p["probabilities"],
                "model_version": p["model_version"],
            }
            if store:
                out["id"] = p["id"]
            if explain:
                out["explanation"] = p["explanation"]
            emit(out)
        batch.clear()

    for text in read_lines(texts, file):
        batch.append(text)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()


COMMANDS = [predict]
