"""``tagloop predict``: JSON Lines out, one object per input text."""

from __future__ import annotations

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
    help="One text per line.",
)
@click.option(
    "--version", "version", type=int, help="A registered version (default: the active one)."
)
@click.option("--explain", is_flag=True, help="Add the tokens that drove each decision.")
@pass_app
def predict(
    app: App, texts: tuple[str, ...], file: Path | None, version: int | None, explain: bool
) -> None:
    """Classify TEXTS (or the lines of --file, or of stdin) and print JSON Lines:
    label, the probability of every class, and optionally the explanation."""
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
    batch: list[str] = []

    def flush() -> None:
        proba = model.predict_proba(batch)
        for text, row in zip(batch, proba.tolist(), strict=True):
            best = max(range(len(labels)), key=row.__getitem__)
            out = {
                "text": text,
                "label": labels[best],
                "probabilities": dict(zip(labels, row, strict=True)),
                "model_version": version,
            }
            if explain:
                out["explanation"] = [c.as_dict() for c in model.explain(text, labels[best])]
            emit(out)
        batch.clear()

    for text in read_lines(texts, file):
        batch.append(text)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()


COMMANDS = [predict]
