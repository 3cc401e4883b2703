"""Write docs/cli.md from the commands' own --help (tests fail when it is stale)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tagloop.cli import main

OUT = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def walk(command: click.Command, path: list[str]) -> list[tuple[str, str]]:
    # A fixed width, so the page does not depend on the terminal it was made in.
    ctx = click.Context(
        command,
        info_name=" ".join(path),
        terminal_width=88,
        max_content_width=88,
        help_option_names=["-h", "--help"],
    )
    pages = [(" ".join(path), command.get_help(ctx))]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                pages += walk(sub, [*path, name])
    return pages


def render() -> str:
    parts = ["# CLI reference\n", "Generated from `--help` by `scripts/gen_cli_docs.py`.\n"]
    for name, text in walk(main, ["tagloop"]):
        parts.append(f"## `{name}`\n\n```\n{text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == render() else 1)
    OUT.write_text(render())
