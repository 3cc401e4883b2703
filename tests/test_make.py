"""``make run`` rebuilds the web app only when a file it is built from changed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile beside a web app's files, built once: stamp newer than every source."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in (
        "frontend/package.json",
        "frontend/package-lock.json",
        "frontend/index.html",
        "frontend/vite.config.ts",
        "frontend/src/main.ts",
        "frontend/src/components/__tests__/x.spec.ts",
        "frontend/public/favicon.svg",
        "frontend/node_modules/.installed",
        "src/tagloop/static/.built",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        stamp_last = 2 if name.endswith(".built") else 1
        os.utime(path, (1_700_000_000 + stamp_last, 1_700_000_000 + stamp_last))
    return tmp_path


def needs_build(where: Path) -> bool:
    out = subprocess.run(
        ["make", "-n", "web"], cwd=where, capture_output=True, text=True, check=True
    ).stdout
    return "npm run build" in out


@pytest.mark.parametrize(
    ("changed", "rebuilds"),
    [
        (None, False),
        ("frontend/src/main.ts", True),
        ("frontend/index.html", True),
        ("frontend/public/favicon.svg", True),
        ("frontend/package-lock.json", True),
        ("frontend/src/components/__tests__/x.spec.ts", False),  # a unit test is not built
    ],
)
def test_the_web_app_is_rebuilt_only_when_its_sources_change(checkout, changed, rebuilds):
    if changed:
        (checkout / changed).touch()  # now: newer than the stamp
    assert needs_build(checkout) is rebuilds
