"""``tagloop serve``'s workers keep the memory a request frees for the next one."""

from __future__ import annotations

import ctypes.util
import platform
import subprocess
import sys

import pytest

PROBE = """
import resource, sys
import numpy as np
from tagloop.memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def work():  # arrays of 256 KB to 16 MB alive together, then freed, as in a batch
    a = [np.ones(1 << k) for k in (15, 16, 17, 18, 19, 20, 21)]
    b = [x * 2 for x in a]
    del a
    return float(np.concatenate(b).sum())
for _ in range(5):
    work()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    work()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


@pytest.mark.skipif(
    platform.system() != "Linux"
    or platform.libc_ver()[0] != "glibc"
    or not ctypes.util.find_library("c"),
    reason="glibc only",
)
def test_freed_arrays_are_reused_without_page_faults() -> None:
    # Without the setting the freed arrays go back to the kernel and are faulted in again
    # on each round (thousands of faults a round); with it they stay in the process.
    assert faults("default") > 50 * 1000
    assert faults("keep") < 50 * 10


def test_objects_built_at_start_up_are_left_out_of_collections() -> None:
    probe = """
import gc
from tagloop import create_app
from tagloop.memory import freeze_startup_objects
app = create_app(home=__import__("tempfile").mkdtemp())
tracked = len(gc.get_objects())
frozen = freeze_startup_objects()
print(tracked, frozen, len(gc.get_objects()))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    tracked, frozen, left = map(int, out.stdout.split()[-3:])
    # The app's objects are frozen: a full collection now walks only what comes later.
    assert frozen > 50_000 and frozen >= 0.9 * tracked
    assert left < 0.02 * tracked


SERVE_WITHOUT_TRAINING_LIBRARIES = """
import sys
from pathlib import Path
from tagloop import create_app
from tagloop.config import Settings
home = Path(sys.argv[1])
app = create_app(Settings(home=home, database_url=sys.argv[2], admin_token="a" * 16,
                          secret_key="x", rate_limit="", model_poll_seconds=0))
client = app.test_client()
for body, query in (({"text": "WIN a prize"}, ""), ({"texts": ["WIN", "lunch?"]}, "?explain=true")):
    reply = client.post("/api/v1/classify" + query, json=body)
    assert reply.status_code == 200, reply.get_json()
for path in ("/api/v1/predictions", "/api/v1/stats", "/api/v1/labelling/next"):
    assert client.get(path).status_code == 200, path
training_only = ("sklearn", "scipy.stats", "scipy.optimize", "huey", "redis")
print(" ".join(sorted(m for m in sys.modules if m.startswith(training_only))))
"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serving_loads_neither_scikit_learn_nor_the_job_queue(settings, active_version):
    """scikit-learn (and the scipy.stats it brings) is only needed to train, huey (with
    redis) only to queue a job: a serving process that loaded them held ~90 MB more and
    started over 1 s later."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVE_WITHOUT_TRAINING_LIBRARIES,
            str(settings.home),
            settings.db_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == []
