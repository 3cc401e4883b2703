"""``make run`` rebuilds the web app only when a file it is built from changed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def dry_run(*args: str) -> str:
    result = subprocess.run(
        ["make", "-n", *args, "web"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_the_web_app_is_rebuilt_only_when_its_sources_change():
    # -W pretends a file was just changed, without touching it.
    assert "npm run build" in dry_run("-W", "frontend/src/main.ts")
    assert "npm run build" in dry_run("-W", "frontend/index.html")
    built = (ROOT / "src/tagloop/static/.built").is_file()
    installed = (ROOT / "frontend/node_modules/.installed").is_file()
    if built and installed:  # a built checkout: nothing changed since, nothing to do
        assert "npm run build" not in dry_run()
        assert "npm run build" not in dry_run("-W", "frontend/src/components/__tests__/x.spec.ts")
