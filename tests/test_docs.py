"""Docs are checked: every setting and every command is documented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tagloop.config import env_names

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", env_names())
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in (ROOT / "docs/configuration.md").read_text()


def test_cli_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts/gen_cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs/cli.md").read_text() == module.render(), (
        "docs/cli.md is stale: run .venv/bin/python scripts/gen_cli_docs.py"
    )


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    head = readme[: readme.index("## ", readme.index("make test"))]
    assert "make run" in head and "make test" in head


def test_openapi_document_is_current() -> None:
    """The web app's API types are generated from docs/openapi.json: it must match the app."""
    import json

    from click.testing import CliRunner

    from tagloop.cli import main

    result = CliRunner().invoke(main, ["openapi"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads((ROOT / "docs/openapi.json").read_text()), (
        "docs/openapi.json is stale: run 'make openapi'"
    )


def _readme_shell_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    return [line.split(" #")[0] for block in blocks for line in block.splitlines()]


def test_readme_pipes_only_into_commands() -> None:
    """``a | b | c`` in a shell block runs a pipeline: it must not stand for "or"."""
    from tagloop.cli import main

    names = set(main.commands)
    for command in main.commands.values():
        names |= set(getattr(command, "commands", {}))
    for line in _readme_shell_lines():
        for stage in line.split("|")[1:]:
            word = stage.split()[0] if stage.split() else ""
            assert word not in names, f"README pipes into {word!r}: {line.strip()}"


def test_readme_says_how_to_reach_the_command_and_change_the_port() -> None:
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/tagloop" in readme and "source .venv/bin/activate" in readme
    assert "TAGLOOP_PORT=" in readme and "--port" in readme
    from tagloop.cli import main

    for line in _readme_shell_lines():  # and every command it shows exists
        if line.startswith("tagloop "):
            words = line.split()
            command = main.commands.get(words[1])
            assert command is not None, line
            subcommands = getattr(command, "commands", None)
            assert subcommands is None or words[2] in subcommands, line
