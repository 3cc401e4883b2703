"""``tagloop serve`` (granian) with two workers, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, inspect, text

from tagloop.store.db import MIGRATIONS
from tests.api.helpers import HAM, HAM_2, SPAM, SPAM_2
from tests.conftest import ADMIN_TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("server")]
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        opener: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        data = (
            raw
            if raw is not None
            else (json.dumps(payload).encode() if payload is not None else None)
        )
        req = urllib.request.Request(self.url + path, data=data, method=method)
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with (opener or urllib.request.build_opener()).open(req, timeout=30) as resp:
                return Reply(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.headers, err.read())

    def wait(self, path: str, status: int = 200, timeout: float = START_TIMEOUT) -> Reply:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"server exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            try:
                last = self.request("GET", path)
                if last.status == status:
                    return last  # type: ignore[no-any-return]
            except OSError as exc:
                last = exc
            time.sleep(0.1)
        pytest.fail(
            f"{path} did not answer {status} in {timeout}s (last: {last}):\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def wait_stopped(self) -> None:
        if self.process.returncode is None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_server(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Start ``tagloop serve --workers 2`` on a free port; every server is stopped at the end."""
    servers: list[Server] = []

    def start(home: Path, *, workers: int = 2, **env: str) -> Server:
        port = free_port()
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("TAGLOOP_", "PROMETHEUS_"))
        }
        environ.update(
            TAGLOOP_HOME=str(home),
            TAGLOOP_DATABASE_URL=database_url,
            TAGLOOP_ADMIN_TOKEN=ADMIN_TOKEN,
            TAGLOOP_RATE_LIMIT="",
            TAGLOOP_MODEL_POLL_SECONDS="0.2",
            TAGLOOP_LOG_LEVEL="warning",
            **env,
        )
        log = tmp_path / f"server-{port}.log"
        command = [
            sys.executable,
            "-m",
            "tagloop",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=environ, stdout=out, stderr=subprocess.STDOUT)
        server = Server(process, f"http://127.0.0.1:{port}", log)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        server.wait_stopped()


def metric_values(text_format: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text_format)
        for s in family.samples
    }


@pytest.mark.empty_database
def test_two_servers_start_at_once_on_a_fresh_database_and_pick_up_a_new_model(
    start_server, settings, database_url, trained
):
    # Two masters and four workers migrate the same empty database at the same moment.
    homes = [settings.home / "a", settings.home / "b"]
    servers = [start_server(home) for home in homes]
    for server in servers:
        server.wait("/healthz")
        ready = server.wait("/readyz", status=503)
        checks = ready.json()["checks"]
        assert checks["database"] == "ok"
        assert "'default' has no active model" in checks["model"]
        refused = server.request("POST", "/api/v1/classify", {"text": HAM})
        assert refused.status == 503 and refused.json()["error"]["code"] == "no_active_model"

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert versions.all() == [ScriptDirectory(str(MIGRATIONS)).get_current_head()]
        assert {"predictions", "feedback", "model_versions", "activations"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()

    # Train into server a's home and activate: both servers' workers swap it in by polling.
    from tagloop.store import Store
    from tests.conftest import default_registry

    store = Store.open(settings.__class__(home=homes[0], database_url=database_url))
    try:
        registry = default_registry(store, homes[0])
        version = registry.register(trained.model, **trained.registry_metadata()).id
        registry.activate(version, actor="test")
    finally:
        store.close()
    first = servers[0]
    first.wait("/readyz", status=200, timeout=20)
    # /readyz came from one worker; the other may need another poll. Until both serve the
    # new version a request may only be refused as "no model yet", never fail otherwise.
    deadline, in_a_row = time.monotonic() + 20, 0
    while in_a_row < 8 and time.monotonic() < deadline:
        reply = first.request("POST", "/api/v1/classify", {"text": SPAM})
        if reply.status == 503:
            assert reply.json()["error"]["code"] == "no_active_model"
            in_a_row = 0
            continue
        assert (reply.json()["label"], reply.json()["model_version"]) == ("spam", version)
        in_a_row += 1
    assert in_a_row == 8
    # Server b has no artifact in its home: it keeps answering 503 and says why.
    not_ready = servers[1].request("GET", "/readyz")
    assert not_ready.status == 503
    assert "missing" in not_ready.json()["checks"]["model"]


# Cookies, metrics and sessions across workers do not depend on the database; that every
# worker sees the others' writes on both is test_a_fresh_id_is_readable_from_every_worker's.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_tutorial_cookies_and_metrics_across_workers(start_server, settings, active_version):
    server = start_server(settings.home)
    server.wait("/readyz")

    # The tutorial's page, as a browser: its cookie ties the results to it across workers.
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    for title in (SPAM, HAM, HAM_2):
        reply = server.request("POST", "/api/task", {"title": title}, opener=browser)
        assert reply.status == 200
        assert reply.json()["result"]["title"] == title
    tasks = server.request("GET", "/api/tasks", opener=browser).json()
    assert tasks == [
        {"title": HAM_2, "tag": "ham"},
        {"title": HAM, "tag": "ham"},
        {"title": SPAM, "tag": "spam"},
    ]
    stranger = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    assert server.request("GET", "/api/tasks", opener=stranger).json() == []

    # Classify texts on fresh connections until both workers have answered several (each
    # response names its worker), then add up the metrics.
    texts: list[str] = []
    ids = []
    answered: dict[str, int] = {}
    deadline = time.monotonic() + 30
    while (len(texts) < 40 or min(answered.values()) < 4 or len(answered) < 2) and (
        time.monotonic() < deadline
    ):
        for t in (SPAM, SPAM_2, HAM, HAM_2):
            reply = server.request("POST", "/api/v1/classify", {"text": t})
            assert reply.status == 200
            worker = reply.headers["X-Tagloop-Worker"]
            answered[worker] = answered.get(worker, 0) + 1
            texts.append(t)
            ids.append(reply.json()["id"])
    assert len(answered) == 2 and min(answered.values()) >= 4, answered
    for pid in ids[:6]:
        feedback = {"label": "spam"}
        assert server.request("POST", f"/api/v1/predictions/{pid}/feedback", feedback).status == 200
    batch = server.request("POST", "/api/v1/classify", {"texts": [SPAM, HAM, HAM_2]})
    assert batch.status == 200
    bad = server.request("POST", "/api/v1/classify", raw=b'{"text": ')
    assert bad.status == 400 and "not valid JSON" in bad.json()["error"]["message"]

    files = {f.stem.split("_")[1] for f in (settings.home / "prometheus").glob("counter_*.db")}
    assert set(answered) <= files  # each worker's samples are in its own file
    metrics = server.request("GET", "/metrics")
    assert metrics.status == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    values = metric_values(metrics.body.decode())
    spam = values[("tagloop_predictions_total", (("label", "spam"), ("project", "default")))]
    ham = values[("tagloop_predictions_total", (("label", "ham"), ("project", "default")))]
    assert (spam, ham) == (1 + len(texts) // 2 + 1, 2 + len(texts) // 2 + 2)
    ok = (("endpoint", "/api/v1/classify"), ("method", "POST"), ("status", "200"))
    assert values[("tagloop_http_requests_total", ok)] == len(texts) + 1
    assert values[("tagloop_http_requests_total", (*ok[:2], ("status", "400")))] == 1
    count = (("endpoint", "/api/v1/classify"), ("method", "POST"))
    assert values[("tagloop_http_request_duration_seconds_count", count)] == len(texts) + 2
    assert values[("tagloop_active_model_version", (("project_id", "1"),))] == active_version
    assert values[("tagloop_feedback_total", (("project", "default"),))] == 6

    # Every 2xx prediction is a stored row.
    server.stop()
    server.wait_stopped()
    engine = create_engine(settings.db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT count(*) FROM predictions")).scalar()
                == 3 + len(texts) + 3
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # nothing here is in the DB
def test_limits_and_errors_over_http(start_server, settings, active_version):
    server = start_server(settings.home, workers=1, TAGLOOP_MAX_BODY_BYTES="1000")
    server.wait("/readyz")
    too_big = server.request("POST", "/api/v1/classify", {"text": "a" * 2000})
    assert too_big.status == 413
    assert "1,000 bytes" in too_big.json()["error"]["message"]
    # The same body sent in chunks, with no Content-Length, is refused the same way, and a
    # chunked body under the limit is read whole.
    port = int(server.url.rsplit(":", 1)[1])
    for message, status in (("a" * 2000, 413), ("a" * 900, 200)):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        payload = json.dumps({"text": message}).encode()
        pieces = (payload[i : i + 100] for i in range(0, len(payload), 100))
        conn.request(
            "POST",
            "/api/v1/classify",
            pieces,
            {"Content-Type": "application/json"},
            encode_chunked=True,
        )
        reply = conn.getresponse()
        answer = json.loads(reply.read())
        conn.close()
        assert reply.status == status, answer
        if status == 413:
            assert "1,000 bytes" in answer["error"]["message"]
        else:
            assert answer["text"] == message
    wrong_method = server.request("GET", "/api/v1/classify")
    assert wrong_method.status == 405
    assert "POST" in wrong_method.headers["Allow"] and "GET" not in wrong_method.headers["Allow"]
    unknown = server.request("GET", "/api/v1/predictions/123456")
    assert unknown.status == 404 and unknown.json()["error"]["code"] == "not_found"
    docs = server.request("GET", "/api/docs")
    assert docs.status == 200 and b"swagger-ui" in docs.body
    key = settings.home / "secret_key"
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600


@pytest.mark.slow
@pytest.mark.xdist_group("server")
def test_concurrent_first_requests_all_succeed(tmp_path, trained) -> None:
    """Every worker thread's first request waits for the model instead of failing."""
    from concurrent.futures import ThreadPoolExecutor

    from tagloop.config import Settings
    from tagloop.store import Store
    from tests.conftest import default_registry
    from tests.servers import running_server, server_env

    home = tmp_path / "home"
    store = Store.open(Settings(home=home))
    registry = default_registry(store, home)
    registry.activate(registry.register(trained.model, **trained.registry_metadata()).id)
    store.close()
    with running_server(server_env(home), workers=2) as url:
        request = urllib.request.Request(
            f"{url}/api/v1/classify",
            data=json.dumps({"text": "see you at the station at 6"}).encode(),
            headers={"Content-Type": "application/json"},
        )

        def status(_: int) -> int:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(status, range(64)))
    assert statuses == [200] * 64


def test_a_fresh_id_is_readable_from_every_worker(start_server, settings, active_version):
    # Each response names its worker, so the test goes on until each worker has read an id
    # the other one had just handed out (and acknowledged its feedback).
    server = start_server(settings.home)
    server.wait("/readyz")
    crossed: set[tuple[str, str]] = set()  # (worker that classified, worker that read)
    deadline, n = time.monotonic() + 30, 0
    while len(crossed) < 2 and time.monotonic() < deadline:
        message, n = f"{(SPAM, HAM)[n % 2]} {n}", n + 1
        made = server.request("POST", "/api/v1/classify", {"text": message})
        writer, pid = made.headers["X-Tagloop-Worker"], made.json()["id"]
        feedback = server.request("POST", f"/api/v1/predictions/{pid}/feedback", {"label": "ham"})
        read = server.request("GET", f"/api/v1/predictions/{pid}")
        assert feedback.status == 200, feedback.json()
        assert read.json()["text"] == message and read.json()["feedback"]["label"] == "ham"
        for reply in (feedback, read):
            if reply.headers["X-Tagloop-Worker"] != writer:
                crossed.add((writer, reply.headers["X-Tagloop-Worker"]))
    assert len(crossed) == 2, f"only {crossed} after {n} predictions"
    started = time.monotonic()
    unknown = server.request("GET", "/api/v1/predictions/999999")
    assert unknown.status == 404 and time.monotonic() - started < 2  # answered at once


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # as the cookies' test
def test_real_tokens_and_sessions_over_http(start_server, settings, active_version):
    """API tokens and a browser session against a real server with two workers (the
    session is signed with the key every worker shares)."""
    import http.cookiejar

    from tagloop.service import projects, users
    from tagloop.store import Store

    store = Store.open(settings)
    try:
        default = projects.ensure_default(store, settings)
        users.create(store, "root", "a long admin password", admin=True)
        users.create(store, "vic", "a long viewer password")
        users.grant(store, "vic", default, "viewer")
        users.create(store, "mia", "a long maintainer pass")
        users.grant(store, "mia", default, "maintainer")
        vic = users.create_token(store, users.get(store, "vic")["id"], name="http").token
    finally:
        store.close()
    server = start_server(settings.home, workers=2)
    server.wait("/readyz")
    bearer = {"Authorization": f"Bearer {vic}"}
    assert server.request("GET", "/api/v1/stats", headers=bearer).status == 200
    assert server.request("GET", "/api/v1/stats").status == 401
    refused = server.request("POST", "/api/v1/models/rollback", {}, headers=bearer)
    assert refused.status == 403 and "maintainer" in refused.json()["error"]["message"]
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    patched = server.request("PATCH", "/api/v1/users/vic", {"disabled": True}, headers=admin)
    assert patched.status == 200
    assert server.request("GET", "/api/v1/stats", headers=bearer).status == 401

    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    signed_in = server.request(
        "POST",
        "/api/v1/auth/login",
        {"login": "mia", "password": "a long maintainer pass"},
        opener=browser,
    )
    assert signed_in.status == 200
    csrf = signed_in.json()["csrf_token"]
    change = {"description": "from the browser"}
    for _ in range(4):  # every worker knows the session
        assert server.request("GET", "/api/v1/auth/me", opener=browser).json()["user"]
    no_csrf = server.request("PATCH", "/api/v1/projects/default", change, opener=browser)
    assert no_csrf.status == 403
    elsewhere = server.request(
        "PATCH",
        "/api/v1/projects/default",
        change,
        opener=browser,
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    assert elsewhere.status == 403
    ok = server.request(
        "PATCH",
        "/api/v1/projects/default",
        change,
        opener=browser,
        headers={"X-CSRF-Token": csrf, "Origin": server.url},
    )
    assert ok.status == 200
    assert server.request("POST", "/api/v1/auth/logout", opener=browser).status == 204
    assert server.request("GET", "/api/v1/stats", opener=browser).status == 401


def test_kill_9_under_load_loses_no_acknowledged_prediction_or_feedback(
    tmp_path, settings, active_version
):
    """Clients classify and give feedback while a worker, then the master, get SIGKILL:
    every prediction and feedback that got a 2xx is in the database afterwards."""
    import threading

    from tests.servers import children, free_port, server_env, wait_ready

    port = free_port()
    env = server_env(
        settings.home,
        settings.database_url,
        TAGLOOP_ADMIN_TOKEN=ADMIN_TOKEN,
        TAGLOOP_LOG_LEVEL="warning",
    )
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        master = subprocess.Popen(
            [sys.executable, "-m", "tagloop", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    acked: dict[int, str] = {}  # prediction id -> text
    feedback_acked: dict[int, str] = {}  # prediction id -> label
    lock, stop_load = threading.Lock(), threading.Event()

    def post(path: str, payload: Any) -> Any:
        req = urllib.request.Request(url + path, data=json.dumps(payload).encode(), method="POST")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert 200 <= resp.status < 300
            return json.loads(resp.read())

    def load(n: int) -> None:
        i = 0
        while not stop_load.is_set():
            i += 1
            text_ = f"{SPAM if i % 2 else HAM} #{n}-{i}"
            try:
                pid = post("/api/v1/classify", {"text": text_})["id"]
            except (OSError, AssertionError):
                continue  # not acknowledged: nothing is promised
            with lock:
                acked[pid] = text_
            if i % 3 == 0:
                try:
                    post(f"/api/v1/predictions/{pid}/feedback", {"label": "ham"})
                except (OSError, AssertionError):
                    continue
                with lock:
                    feedback_acked[pid] = "ham"

    try:
        wait_ready(url, master)
        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        workers = children(master.pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)  # one worker, mid-load
        time.sleep(1.5)
        os.kill(master.pid, signal.SIGKILL)  # then the master
        time.sleep(1.0)
        stop_load.set()
        for t in threads:
            t.join(30)
    finally:
        stop_load.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(master.pid, signal.SIGKILL)  # whatever is left of the group
        master.wait()
    assert len(acked) > 50, f"too little load to prove anything ({len(acked)})"
    assert feedback_acked
    engine = create_engine(settings.db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, text FROM predictions")).all())
            feedback = {
                (pid, label)
                for pid, label in conn.execute(text("SELECT prediction_id, label FROM feedback"))
            }
    finally:
        engine.dispose()
    missing = {pid for pid in acked if rows.get(pid) != acked[pid]}
    assert not missing, f"{len(missing)} acknowledged predictions lost: {sorted(missing)[:10]}"
    lost_feedback = set(feedback_acked.items()) - feedback
    assert not lost_feedback, f"acknowledged feedback lost: {sorted(lost_feedback)[:10]}"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_200_slow_clients_do_not_hold_up_the_others(start_server, settings, active_version):
    from tests.servers import SlowClients, classify_latencies, percentile

    server = start_server(settings.home)
    server.wait("/readyz")
    port = int(server.url.rsplit(":", 1)[1])
    classify_latencies(port, 0.5)  # warm up: both workers have loaded the model
    with SlowClients(port, 200) as slow:
        time.sleep(0.5)  # every slow connection is in, each has sent something
        latencies, failed = classify_latencies(port, 3)
        assert slow.reopened == 0, "the server dropped slow clients: they held nothing"
    assert failed == 0
    assert len(latencies) > 50
    assert percentile(latencies, 99) < 100, sorted(latencies)[-5:]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sighup_replaces_every_worker_without_a_failed_request(
    start_server, settings, active_version
):
    # 6 s for each new worker to start rather than 12: the old ones stop sooner, so a new
    # worker that was not listening in time would fail requests sooner, not later.
    server = start_server(settings.home, TAGLOOP_RESPAWN_SECONDS="6")
    server.wait("/readyz")

    def classify() -> str:
        try:
            reply = server.request("POST", "/api/v1/classify", {"text": HAM})
        except OSError as exc:
            pytest.fail(f"{exc} (server: {server.process.poll()}):\n{server.log.read_text()}")
        assert reply.status == 200, reply.body
        return str(reply.headers["X-Tagloop-Worker"])

    before: set[str] = set()
    deadline = time.monotonic() + 20
    while len(before) < 2 and time.monotonic() < deadline:  # both old workers, by pid
        before.add(classify())
    assert len(before) == 2
    server.process.send_signal(signal.SIGHUP)
    # Ask all the while the workers are replaced one by one, until two new ones answered.
    seen: set[str] = set()
    deadline = time.monotonic() + 45
    while len(seen - before) < 2 and time.monotonic() < deadline:
        seen.add(classify())
    assert len(seen - before) == 2, f"new workers seen: {seen - before}"
    assert server.process.poll() is None  # the server itself kept running
