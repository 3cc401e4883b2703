"""The ``tagloop`` command: thin click commands over ml/, store/, api/ and jobs/."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import click

from tagloop import __version__
from tagloop.config import Settings


class App:
    """What commands share; each part is opened on first use only."""

    @cached_property
    def settings(self) -> Settings:
        try:
            return Settings.from_env()
        except ValueError as exc:
            raise click.UsageError(f"bad setting: {exc}") from exc

    @cached_property
    def registry(self):
        from tagloop.ml.registry import Registry
        from tagloop.store import Store

        return Registry(Store.open(self.settings), self.settings.home)


pass_app = click.make_pass_decorator(App, ensure=True)


def fail(message: str) -> None:
    raise click.ClickException(message)


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tagloop")
def main() -> None:
    """tagloop: train, serve and keep improving text classifiers.

    Settings come from TAGLOOP_* environment variables (see docs/configuration.md);
    data and models live in TAGLOOP_HOME.
    """


def _register_commands() -> None:
    from tagloop.commands import models, predict, serve, train, worker

    for module in (train, predict, models, serve, worker):
        for command in module.COMMANDS:
            main.add_command(command)


def read_lines(texts: tuple[str, ...], file: Path | None) -> Iterator[str]:
    """Texts from arguments, a file (one per line) or stdin, skipping blank lines."""
    if texts:
        yield from texts
        return
    name = str(file) if file else "<stdin>"
    stream = file.open("rb") if file else sys.stdin.buffer
    try:
        for number, raw in enumerate(stream, start=1):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise click.ClickException(
                    f"{name}:{number}: not valid UTF-8 ({exc.reason})"
                ) from exc
            if text.strip():
                yield text
    finally:
        if file:
            stream.close()


_register_commands()
