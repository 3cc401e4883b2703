"""The web app's Playwright specs (frontend/e2e) against a real server and worker with a real
model, driving Debian's Chromium.

The specs are run in a few shards, each against its own server, worker and database, so that
pytest's workers run them side by side instead of one worker spending minutes on all of them.
Each shard's specs run in order on one server, as ``npm run test:e2e`` runs them all."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ADMIN_TOKEN, ROOT
from tests.servers import running_server, running_worker, server_env

FRONTEND = ROOT / "frontend"
SPECS = sorted(p.name for p in (FRONTEND / "e2e").glob("*.spec.ts"))
# Two shards, one per pytest worker of `make test`: each shard costs a server, a worker, a
# browser and Playwright's start (over 10 s of CPU), so no more shards than workers. Balanced on
# measured times: the accessibility scan of every page with the 2,500-row batch, project creation,
# the review queue and the users (users.spec.ts must be the last of its shard: the first account
# ends the server's open mode); the model switching and retraining with everything else. A spec
# file not listed runs in the last shard, so a new one is run without being listed here.
SHARDS: dict[str, list[str]] = {
    "pages": [
        "batch.spec.ts",
        "pages.spec.ts",
        "projects.spec.ts",
        "review.spec.ts",
        "users.spec.ts",
    ],
}
SHARDS["rest"] = [s for s in SPECS if not any(s in named for named in SHARDS.values())]


def test_every_spec_file_is_in_exactly_one_shard() -> None:
    listed = [spec for specs in SHARDS.values() for spec in specs]
    assert sorted(listed) == SPECS
    # Playwright runs a shard's files in name order: a spec after users.spec.ts would find the
    # server's open mode ended.
    for specs in SHARDS.values():
        assert "users.spec.ts" not in specs or max(specs) == "users.spec.ts"


@pytest.mark.slow
@pytest.mark.parametrize("shard", list(SHARDS))
def test_playwright_specs_pass(tmp_path: Path, trained, shard: str) -> None:  # type: ignore[no-untyped-def]
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
    # A second version to switch to: models.spec.ts would otherwise retrain one through the API
    # first, a whole retraining run; retrain.spec.ts retrains through the page.
    registry.register(
        trained.model,
        **{**trained.registry_metadata(), "description": "the same model again, to switch to"},
    )
    store.close()

    env = server_env(home, TAGLOOP_ADMIN_TOKEN=ADMIN_TOKEN)
    # The retrain, models and projects specs queue jobs: a worker runs them, as `make run` does.
    with (
        running_server(env, log=tmp_path / "server.log") as url,
        running_worker(env, tmp_path / "worker.log"),
    ):
        result = subprocess.run(
            [
                shutil.which("npx") or "npx",
                "playwright",
                "test",
                # Playwright empties its output folder when it starts: one per shard.
                f"--output=test-artifacts/results-{shard}",
                *(f"e2e/{spec}" for spec in SHARDS[shard]),
            ],
            cwd=FRONTEND,
            env={**os.environ, "TAGLOOP_E2E_URL": url, "TAGLOOP_E2E_ADMIN_TOKEN": ADMIN_TOKEN},
            capture_output=True,
            text=True,
            timeout=600,
        )
    print(result.stdout[-20000:])
    print(result.stderr[-5000:])
    assert result.returncode == 0, f"Playwright specs {SHARDS[shard]} failed (output above)"
