"""The web app's Playwright specs (frontend/e2e) against a real server and worker with a real
model, driving Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ADMIN_TOKEN, ROOT
from tests.servers import running_server, running_worker, server_env

FRONTEND = ROOT / "frontend"


@pytest.mark.slow
@pytest.mark.xdist_group("server")
def test_playwright_specs_pass(tmp_path: Path, trained) -> None:  # type: ignore[no-untyped-def]
    if not (ROOT / "src/tagloop/static/index.html").is_file():
        pytest.fail("the web app is not built: run 'make web' (make test does)")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's chromium is not installed: run 'make test', which installs it")
    from tagloop.config import Settings
    from tagloop.store import Store
    from tests.conftest import default_registry

    home = tmp_path / "home"
    store = Store.open(Settings(home=home))
    registry = default_registry(store, home)
    row = registry.register(trained.model, **trained.registry_metadata())
    registry.activate(row.id, actor="e2e", reason="fixture")
    store.close()

    env = server_env(home, TAGLOOP_ADMIN_TOKEN=ADMIN_TOKEN)
    # The retrain and models specs queue retraining jobs: a worker runs them, as `make run` does.
    with (
        running_server(env, log=tmp_path / "server.log") as url,
        running_worker(env, tmp_path / "worker.log"),
    ):
        result = subprocess.run(
            [shutil.which("npm") or "npm", "run", "test:e2e"],
            cwd=FRONTEND,
            env={**os.environ, "TAGLOOP_E2E_URL": url, "TAGLOOP_E2E_ADMIN_TOKEN": ADMIN_TOKEN},
            capture_output=True,
            text=True,
            timeout=600,
        )
    print(result.stdout[-20000:])
    print(result.stderr[-5000:])
    assert result.returncode == 0, "Playwright specs failed (output above)"
