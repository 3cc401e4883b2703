"""The ``tagloop`` command: thin click commands over the service core (and ml/ for data)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tagloop import __version__
from tagloop.config import Settings

if TYPE_CHECKING:
    from tagloop.ml.registry import Registry
    from tagloop.service.core import Core
    from tagloop.service.projects import ProjectRef


class App:
    """What commands share; each part is opened on first use only."""

    project_slug: str | None = None  # from --project / TAGLOOP_PROJECT; None: the default

    @cached_property
    def settings(self) -> Settings:
        try:
            return Settings.from_env()
        except ValueError as exc:
            raise click.UsageError(f"bad setting: {exc}") from exc

    @cached_property
    def core(self) -> Core:
        from tagloop.service.core import Core

        return Core.open(self.settings)

    @cached_property
    def project(self) -> ProjectRef:
        return self.core.project(self.project_slug)

    @property
    def registry(self) -> Registry:
        return self.core.registry(self.project)


pass_app = click.make_pass_decorator(App, ensure=True)


def _set_project(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(App).project_slug = value


def project_option(f: Any) -> Any:
    """``--project NAME`` (or ``TAGLOOP_PROJECT``): the project a command works on."""
    return click.option(
        "--project",
        envvar="TAGLOOP_PROJECT",
        metavar="NAME",
        expose_value=False,
        is_eager=True,
        callback=_set_project,
        help="The project (default: $TAGLOOP_PROJECT, else the default project).",
    )(f)


class Main(click.Group):
    """The command group; a refusal from the core is printed as an error, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from tagloop.service.errors import ServiceError

        try:
            return super().invoke(ctx)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc


def fail(message: str) -> None:
    raise click.ClickException(message)


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tagloop")
def main() -> None:
    """tagloop: train, serve and keep improving text classifiers.

    Settings come from TAGLOOP_* environment variables (see docs/configuration.md);
    data and models live in TAGLOOP_HOME.
    """


def _register_commands() -> None:
    from tagloop.commands import items, models, predict, projects, serve, train, users, worker

    for module in (projects, items, train, predict, models, serve, worker, users):
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
