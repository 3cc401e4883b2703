"""Memory of many projects served at once: 20 projects, each with its own model, behind a
real ``tagloop serve``; the resident memory of a worker process after it has served each
project once, with the default model cap and with a cap smaller than the number of projects.

    .venv/bin/python benchmarks/bench_projects.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from report import write_section

from tagloop.config import Settings
from tagloop.ml.datasets import Dataset, load_dataset
from tagloop.ml.train import train_model
from tagloop.service import projects
from tagloop.service.core import Core
from tagloop.service.training import register

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared/data/sms-spam-collection/SMSSpamCollection"
HEADING = "## Many projects (bench_projects.py)"
sys.path.insert(0, str(ROOT))
from tests.servers import children, free_port, server_env, wait_ready  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def prepare(home: Path, data: Path, count: int) -> list[str]:
    """``count`` projects, each trained on a different slice of the data (so each model
    has its own vocabulary, as projects of different domains would)."""
    settings = Settings(home=home)
    core = Core.open(settings)
    full = load_dataset(data)
    slugs = []
    for i in range(count):
        rows = [(full.texts[j], full.labels[j]) for j in range(full.rows) if j % count != i]
        dataset = Dataset.from_rows([t for t, _ in rows], [y for _, y in rows], f"slice {i}")
        slug = f"project-{i:02d}"
        project = projects.create(core.store, settings, slug)
        register(core, project, train_model(dataset, seed=i), actor="bench")
        slugs.append(slug)
    core.close()
    return slugs


def measure(home: Path, slugs: list[str], cap: int) -> dict[str, float]:
    port = free_port()
    env = server_env(home, TAGLOOP_MAX_LOADED_MODELS=str(cap), TAGLOOP_LOG_LEVEL="warning")
    env["TAGLOOP_DEFAULT_PROJECT"] = slugs[0]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tagloop", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        [worker] = children(proc.pid)
        idle = rss_mb(worker)
        for slug in slugs:
            req = urllib.request.Request(
                f"{url}/api/v1/projects/{slug}/classify",
                data=json.dumps({"text": "free entry, call now to claim"}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=30) as response:
                assert response.status == 200
        time.sleep(0.5)
        return {"one": idle, "all": rss_mb(worker)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--write", type=Path, help="Write the section into this file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tagloop-bench-projects-") as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        slugs = prepare(home, args.data, args.projects)
        prepared = time.perf_counter() - started
        full = measure(home, slugs, cap=32)
        capped = measure(home, slugs, cap=5)
        artifacts = sum(p.stat().st_size for p in (home / "artifacts").iterdir()) / 1e6
    per_model = (full["all"] - full["one"]) / (len(slugs) - 1)
    body = f"""\
`.venv/bin/python benchmarks/bench_projects.py --write docs/benchmarks.md` — {len(slugs)}
projects, each with its own default model (trained on a different 95% of the SMS development
data, so each has its own vocabulary; {artifacts:.1f} MB of artifacts in all; set-up
{prepared:.0f} s), behind `tagloop serve --workers 1`. Resident memory of the worker after
`/readyz` (the default project's model loaded) and after one classify in every project:

| model cap | after `/readyz` (1 model) | after all {len(slugs)} projects | models in memory |
|---|---|---|---|
| 32 (default) | {full["one"]:.0f} MB | {full["all"]:.0f} MB | {len(slugs)} |
| 5 | {capped["one"]:.0f} MB | {capped["all"]:.0f} MB | 5 |

Each loaded default model costs about {per_model:.0f} MB per worker process; multiply by
`--workers`. With the cap, the least recently used model is unloaded, so a worker's memory
stays near that of the cap however many projects there are (CPython returns freed memory to
the system only in part, so the capped figure sits above 5 models' worth).
"""
    print(body)
    if args.write:
        write_section(args.write, HEADING, body)


if __name__ == "__main__":
    main()
