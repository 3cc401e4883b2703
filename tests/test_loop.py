"""The feedback → retraining → comparison → promotion loop with real processes: granian
servers (``tagloop serve``), a ``tagloop worker``, SQLite or a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tagloop.config import Settings
from tests.conftest import ADMIN_TOKEN, _postgres_database
from tests.jobs.messages import PARCEL_SPAM
from tests.servers import running_server, running_worker, server_env

# One at a time, as tests/test_server.py's are; the two modules may run side by side.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("loop")]
SWITCH_SECONDS = 2.0
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def call(url: str, method: str = "GET", body: Any = None, admin: bool = False) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(ADMIN if admin else {})}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def ok(url: str, method: str = "GET", body: Any = None, admin: bool = False) -> Any:
    status, payload = call(url, method, body, admin)
    assert 200 <= status < 300, (status, payload)
    return payload


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_job(url: str, job_id: int, statuses: set[str], timeout: float = 90) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = ok(f"{url}/api/v1/jobs/{job_id}")
        return job if job["status"] in statuses else None

    return wait_for(done, timeout, f"job {job_id} to be {statuses}")  # type: ignore[no-any-return]


@contextmanager
def worker_busy_training(
    env: dict[str, str], store: Any, job_id: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker whose training step of job ``job_id`` lasts a minute (a test-only setting),
    yielded once the job has reached it: something to kill mid-retraining."""
    from tagloop.service.job_state import get_job

    slow = {**env, "TAGLOOP_TEST_SLOW_TRAIN_SECONDS": "60"}
    with running_worker(slow, log) as worker:
        wait_for(
            lambda: (row := get_job(store, job_id)) and row.stage.startswith("training"),
            30,
            "the job to reach training",
        )
        yield worker


@contextmanager
def running_servers(envs: list[dict[str, str]], logs: list[Path]) -> Iterator[list[str]]:
    """Several ``tagloop serve`` processes, started side by side (they start faster so)."""
    managers = [running_server(e, workers=2, log=log) for e, log in zip(envs, logs, strict=True)]
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(m.__enter__) for m in managers]
    try:
        yield [f.result() for f in futures]
    finally:
        for manager, future in zip(managers, futures, strict=True):
            if future.exception() is None:
                manager.__exit__(None, None, None)


def install_model(trained: Any, home: Path, database_url: str = "", copies: int = 1) -> list[int]:
    """Register the session's trained model ``copies`` times; the first is activated."""
    from tagloop.store import Store
    from tests.conftest import default_registry

    store = Store.open(Settings(home=home, database_url=database_url))
    registry = default_registry(store, home)
    ids = [
        registry.register(trained.model, description=f"copy {i}", **trained.registry_metadata()).id
        for i in range(copies)
    ]
    registry.activate(ids[0], actor="test", reason="fixture")
    store.close()
    return ids


def queue_retrain(settings: Settings) -> Any:
    """Queue a retraining of the default project, as ``POST /api/v1/retrain`` does."""
    from tagloop.service import jobs
    from tagloop.service.core import Core

    core = Core.open(settings)
    try:
        return jobs.retrain(core, core.project(), requested_by="test")
    finally:
        core.close()


class Traffic:
    """Classify requests sent in a loop to several servers, every response recorded."""

    def __init__(self, urls: list[str], threads: int = 2) -> None:
        self.urls = urls
        self.results: list[tuple[float, str, int, Any]] = []  # (time, url, status, versions)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, offset: int) -> None:
        n = offset
        while not self._stop.is_set():
            url = self.urls[n % len(self.urls)]
            n += 1
            try:
                status, body = call(
                    f"{url}/api/v1/classify", "POST", {"texts": ["Are you home?", "WIN cash now"]}
                )
            except OSError as exc:
                status, body = 0, str(exc)
            versions = (
                {body["model_version"], *(p["model_version"] for p in body["predictions"])}
                if status == 200
                else body
            )
            self.results.append((time.monotonic(), url, status, versions))

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def check_switch(self, start: float, end: float, version: int) -> None:
        """Every server answered with ``version`` only, from SWITCH_SECONDS after ``start``."""
        window = [r for r in self.results if start + SWITCH_SECONDS <= r[0] < end]
        for url in self.urls:
            answered = [r for r in window if r[1] == url]
            assert len(answered) >= 5, f"too few requests to {url} to judge"
            stale = [r for r in answered if r[3] != {version}]
            assert not stale, (
                f"{url} still answered {stale[0][3]} {SWITCH_SECONDS}s after the switch"
            )

    def check_all_ok(self) -> None:
        failed = [r for r in self.results if r[2] != 200]
        assert not failed, f"{len(failed)} of {len(self.results)} requests failed: {failed[:3]}"
        assert all(len(r[3]) == 1 for r in self.results), "a response mixed two versions"


def served_versions(url: str, seconds: float) -> set[int]:
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.add(ok(f"{url}/api/v1/classify", "POST", {"text": "hello"})["model_version"])
    return seen


def versions_by_worker(url: str, workers: int = 2, timeout: float = 20) -> dict[str, set[int]]:
    """The versions each server process answered with, asking until every one of
    ``workers`` processes has answered at least 3 times (responses name their process)."""
    seen: dict[str, list[int]] = {}
    body = json.dumps({"text": "hello"}).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (
        len(seen) < workers or min(len(v) for v in seen.values()) < 3
    ):
        request = urllib.request.Request(
            f"{url}/api/v1/classify", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            version = json.loads(response.read())["model_version"]
            seen.setdefault(response.headers["X-Tagloop-Worker"], []).append(version)
    assert len(seen) == workers, f"only {len(seen)} of {workers} workers answered"
    return {worker: set(versions) for worker, versions in seen.items()}


def test_feedback_retrain_compare_promote_and_roll_back(tmp_path: Path, trained: Any) -> None:
    home = tmp_path / "home"
    [v1] = install_model(trained, home)
    env = server_env(home, TAGLOOP_ADMIN_TOKEN=ADMIN_TOKEN)
    with (
        running_server(env, workers=2, log=tmp_path / "server.log") as url,
        running_worker(env, tmp_path / "worker.log"),
    ):
        predictions = ok(f"{url}/api/v1/classify", "POST", {"texts": PARCEL_SPAM[:40]})
        wrong = [p for p in predictions["predictions"] if p["label"] == "ham"]
        assert len(wrong) >= 30, "the parcel spam should fool the model"
        for p in wrong:
            ok(f"{url}/api/v1/predictions/{p['id']}/feedback", "POST", {"label": "spam"})
        corrected = {p["text"] for p in wrong}

        job = ok(f"{url}/api/v1/retrain", "POST", {"reason": "parcel spam"}, admin=True)
        assert job["status"] == "queued"
        job = wait_job(url, job["id"], {"succeeded", "failed", "cancelled"})
        assert job["status"] == "succeeded", job["error"] + job["log"]
        candidate = job["candidate_id"]
        assert job["result"]["promotion"]["promoted"] is False
        assert job["result"]["data"]["feedback"]["texts"] == len(wrong)

        models = {m["id"]: m for m in ok(f"{url}/api/v1/models")["items"]}
        assert models[v1]["active"] and not models[candidate]["active"]
        assert models[candidate]["parent_id"] == v1
        comparison = ok(f"{url}/api/v1/models/compare?a={v1}&b={candidate}")
        assert comparison["stored"] is True and comparison["b"]["id"] == candidate
        assert comparison["rows"]["feedback"] >= 1
        assert {"a", "b", "delta"} <= set(comparison["metrics"]["accuracy"])
        fixed_by_b = {c["text"] for c in comparison["changed"] if c["b"] == c["label"]}
        assert fixed_by_b & corrected, "held-out parcel spam should now be caught"
        # Only what is stored is read: the reverse pair is not stored, and is not computed.
        reverse = urllib.request.Request(f"{url}/api/v1/models/compare?a={candidate}&b={v1}")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(reverse, timeout=30)
        assert missing.value.code == 404
        assert json.loads(missing.value.read())["error"]["code"] == "comparison_not_stored"

        started = time.monotonic()
        ok(f"{url}/api/v1/models/{candidate}/activate", "POST", {"reason": "better"}, admin=True)
        wait_for(lambda: served_versions(url, 0.2) == {candidate}, SWITCH_SECONDS, "the swap")
        assert time.monotonic() - started < SWITCH_SECONDS + 0.5
        assert set(map(frozenset, versions_by_worker(url).values())) == {frozenset({candidate})}
        again = ok(f"{url}/api/v1/classify", "POST", {"texts": sorted(corrected)})
        right = [p for p in again["predictions"] if p["label"] == "spam"]
        assert len(right) >= 0.9 * len(corrected)

        ok(f"{url}/api/v1/models/rollback", "POST", {"reason": "test"}, admin=True)
        wait_for(lambda: served_versions(url, 0.2) == {v1}, SWITCH_SECONDS, "the rollback")
        assert set(map(frozenset, versions_by_worker(url).values())) == {frozenset({v1})}
        history = ok(f"{url}/api/v1/models/history")["items"]
        assert [h["action"] for h in history[:2]] == ["rollback", "activate"]


@pytest.mark.postgres
def test_two_servers_on_postgres_switch_without_failed_requests(
    tmp_path: Path, trained: Any
) -> None:
    database = _postgres_database()
    database_url = next(database)
    try:
        homes = [tmp_path / "a", tmp_path / "b"]
        v1, v2 = install_model(trained, homes[0], database_url, copies=2)
        # Two machines sharing the artifact store: the second home links to the first's.
        homes[1].mkdir()
        (homes[1] / "artifacts").symlink_to(homes[0] / "artifacts")
        envs = [server_env(h, database_url, TAGLOOP_ADMIN_TOKEN=ADMIN_TOKEN) for h in homes]
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        with running_servers(envs, logs) as (a, b), Traffic([a, b]) as traffic:
            time.sleep(0.5)
            promoted = time.monotonic()
            ok(f"{a}/api/v1/models/{v2}/activate", "POST", {"reason": "promote"}, admin=True)
            time.sleep(SWITCH_SECONDS + 1.0)
            rolled_back = time.monotonic()
            ok(f"{b}/api/v1/models/rollback", "POST", {"reason": "roll back"}, admin=True)
            time.sleep(SWITCH_SECONDS + 1.0)
        traffic.check_all_ok()
        traffic.check_switch(promoted, rolled_back, v2)
        traffic.check_switch(rolled_back, time.monotonic(), v1)
        before = [r for r in traffic.results if r[0] < promoted]
        assert before and all(r[3] == {v1} for r in before)
    finally:
        next(database, None)


def test_a_killed_worker_fails_its_job_and_leaves_the_model_alone(
    tmp_path: Path, trained: Any
) -> None:
    from tagloop.service.job_state import get_job
    from tagloop.store import Store
    from tests.conftest import default_registry

    home = tmp_path / "home"
    [v1] = install_model(trained, home)
    settings = Settings(home=home)
    store = Store.open(settings)
    registry = default_registry(store, home)
    env = server_env(home)
    try:
        job = queue_retrain(settings)
        with worker_busy_training(env, store, job.id, tmp_path / "worker1.log") as worker:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        assert get_job(store, job.id).status == "running"  # nobody has noticed yet

        with running_worker(env, tmp_path / "worker2.log"):
            failed = wait_for(
                lambda: (row := get_job(store, job.id)) and row.status == "failed" and row,
                15,
                "the abandoned job to be failed",
            )
            assert "stopped" in failed.error and "training" in failed.error
            assert registry.active_id() == v1 and [r.id for r in registry.list()] == [v1]

            second = queue_retrain(settings)
            done = wait_for(
                lambda: (
                    (row := get_job(store, second.id))
                    and row.status != "queued"
                    and row.status != "running"
                    and row
                ),
                90,
                "the second job",
            )
            assert done.status == "succeeded", done.error
            assert registry.active_id() == v1  # a candidate, not activated
            assert {r.id for r in registry.list()} == {v1, done.candidate_id}
    finally:
        store.close()


def test_a_redis_queue_carries_jobs_to_the_worker(tmp_path: Path, trained: Any) -> None:
    """TAGLOOP_QUEUE_URL=redis://…: the same loop through a real Redis server."""
    import shutil

    pytest.importorskip("redis")
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: run the tests with 'make test'")
        pytest.skip("redis-server is not installed (make test installs it)")
    from tagloop.service.job_state import get_job
    from tagloop.store import Store
    from tests.servers import free_port

    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        home = tmp_path / "home"
        install_model(trained, home)
        url = f"redis://127.0.0.1:{port}/0"
        settings = Settings(home=home, queue_url=url)
        store = Store.open(settings)
        queue = wait_for(lambda: _redis_queue(settings), 10, "redis-server to start")
        job = queue_retrain(settings)
        assert queue.pending() == 1
        with running_worker(server_env(home, TAGLOOP_QUEUE_URL=url), tmp_path / "worker.log"):
            done = wait_for(
                lambda: (
                    (row := get_job(store, job.id))
                    and row.status not in ("queued", "running")
                    and row
                ),
                90,
                "the job",
            )
        assert done.status == "succeeded", done.error
        assert not (home / "queue.db").exists()
        store.close()
    finally:
        redis.terminate()
        redis.wait(10)


def _redis_queue(settings: Settings) -> Any:
    from tagloop.service.queue import Queue

    queue = Queue(settings)
    try:
        queue.pending()
    except Exception:
        return None
    return queue


def test_a_stopped_worker_fails_its_job_and_a_new_worker_runs_what_is_queued(
    tmp_path: Path, trained: Any
) -> None:
    """SIGTERM (a deploy, `systemctl stop`): the running job is failed at once, not left for
    the stale-job check; a job queued while no worker runs is carried on by the next one."""
    from tagloop.service.job_state import get_job
    from tagloop.store import Store

    home = tmp_path / "home"
    install_model(trained, home)
    settings = Settings(home=home)
    store = Store.open(settings)
    env = server_env(home)
    try:
        first = queue_retrain(settings)
        with worker_busy_training(env, store, first.id, tmp_path / "worker1.log") as worker:
            os.killpg(worker.pid, signal.SIGTERM)
            assert worker.wait(30) is not None
        stopped = get_job(store, first.id)
        assert stopped.status == "failed" and "worker was stopped" in stopped.error

        second = queue_retrain(settings)
        time.sleep(1)
        assert get_job(store, second.id).status == "queued"  # no worker: it waits
        with running_worker(env, tmp_path / "worker2.log"):
            done = wait_for(
                lambda: (
                    (row := get_job(store, second.id))
                    and row.status not in ("queued", "running")
                    and row
                ),
                90,
                "the queued job",
            )
        assert done.status == "succeeded", done.error
    finally:
        store.close()
