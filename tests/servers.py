"""Start real ``tagloop serve`` and ``tagloop worker`` processes for tests that
speak HTTP."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TAGLOOP = str(Path(sys.executable).with_name("tagloop"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a server's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def server_env(home: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGLOOP_")}
    env.update(
        TAGLOOP_AUTO_CANDIDATES=os.environ.get("TAGLOOP_AUTO_CANDIDATES", ""),
        TAGLOOP_HOME=str(home),
        TAGLOOP_DATABASE_URL=database_url,
        TAGLOOP_SECRET_KEY="test-secret",
        TAGLOOP_RATE_LIMIT="",
        **extra,
    )
    return env


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL if it has not ended 20 s later."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} was not ready within {timeout}s")


@contextmanager
def running_server(
    env: dict[str, str], *, workers: int = 2, log: Path | None = None
) -> Iterator[str]:
    """``tagloop serve`` on a free port; yields its base URL once /readyz says ready."""
    port = free_port()
    out = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [TAGLOOP, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url
    finally:
        stop(proc)
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def running_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``tagloop worker``, the background job runner, with its output appended to ``log``."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [TAGLOOP, "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                stop(proc)


# -- hostile clients ---------------------------------------------------------------------

SLOW_KINDS = ("idle", "headers", "body")


class SlowClients:
    """``n`` connections that hold a server's attention without finishing a request: a third
    send nothing, a third trickle their headers a line at a time and never end them, a third
    send whole headers then trickle a body they never finish. A connection the server drops
    is opened again, so the pressure stays at ``n`` for as long as the block runs."""

    def __init__(self, port: int, n: int, period: float = 0.5) -> None:
        self.port, self.n, self.period = port, n, period
        self.sockets: list[tuple[str, socket.socket]] = []
        self.reopened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for i in range(self.n):
            self.sockets.append(self._open(SLOW_KINDS[i % 3]))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for _, sock in self.sockets:
            sock.close()

    def _open(self, kind: str) -> tuple[str, socket.socket]:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if kind == "headers":
            sock.sendall(b"POST /api/v1/classify HTTP/1.1\r\nHost: slow\r\n")
        elif kind == "body":
            sock.sendall(
                b"POST /api/v1/classify HTTP/1.1\r\nHost: slow\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                b'{"text": "'
            )
        return kind, sock

    def _trickle(self) -> None:
        while not self._stop.wait(self.period):
            for i, (kind, sock) in enumerate(self.sockets):
                if kind == "idle":
                    continue
                try:
                    sock.sendall(b"X-Slow: 1\r\n" if kind == "headers" else b"a")
                except OSError:
                    sock.close()
                    self.sockets[i] = self._open(kind)
                    self.reopened += 1


def classify_latencies(
    port: int, seconds: float, clients: int = 4, text: str = "see you at 6"
) -> tuple[list[float], int]:
    """Classify ``text`` on fresh connections from ``clients`` threads for ``seconds``; the
    latency of every answered request in ms, and how many failed (error status or none)."""
    body = json.dumps({"text": text})
    latencies: list[float] = []
    failures = [0]
    deadline = time.monotonic() + seconds

    def run() -> None:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", "/api/v1/classify", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status == 200
            except OSError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - start) * 1000)
            else:
                failures[0] += 1

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]
