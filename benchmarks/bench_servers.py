"""Which WSGI server ``tagloop serve`` runs: each candidate with 2 workers, on the same home,
measured for speed (wrk) and for how it treats other clients while 200 slow ones are open.

    .venv/bin/pip install gevent   # the gunicorn+gevent candidate only
    .venv/bin/python benchmarks/bench_servers.py --home /tmp/bench-home

``--home`` must hold an active model (``TAGLOOP_HOME=… tagloop ensure-model``). Prints a
Markdown table (docs/deployment.md quotes it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from bench_api import free_port, post_script, wrk
from side_by_side import start_detached

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import SlowClients, classify_latencies, percentile, server_env, wait_ready

BIN = Path(sys.executable).parent
APP = "tagloop:create_app()"


def candidates(port: int) -> dict[str, list[str]]:
    bind = f"127.0.0.1:{port}"
    gunicorn = [str(BIN / "gunicorn"), "-b", bind, "-w", "2", "--log-level", "warning"]

    def granian_wsgi(threads: int) -> list[str]:
        return [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "--factory",
            "--port",
            str(port),
            "--workers",
            "2",
            "--blocking-threads",
            str(threads),
            "--log-level",
            "warning",
            "tagloop:create_app",
        ]

    serve = [str(BIN / "tagloop"), "serve", "--port", str(port), "--workers", "2"]
    return {
        "gunicorn, 2 sync workers (before)": [*gunicorn, APP],
        "gunicorn + gevent, 2 workers": [*gunicorn, "-k", "gevent", APP],
        "granian WSGI, 2 workers, 1 thread each": granian_wsgi(1),
        "granian, 2 workers, 256 threads each (tagloop serve)": serve,
    }


def measure(name: str, command: list[str], port: int, home: Path, slow: int) -> str:
    env = server_env(home, TAGLOOP_LOG_LEVEL="warning")
    proc = start_detached(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        one = post_script({"text": "see you at the station at 6"})
        wrk(url + "/healthz", seconds=2, connections=16)  # warm up
        health = wrk(url + "/healthz", seconds=5, connections=16)
        classify = wrk(url + "/api/v1/classify", seconds=5, connections=16, script=one)
        quiet, _ = classify_latencies(port, 3)
        with SlowClients(port, slow):
            time.sleep(1)
            latencies, failed = classify_latencies(port, 5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    if latencies:
        under = f"{percentile(latencies, 50):.1f} / {percentile(latencies, 99):.1f} ms"
    else:
        under = "no answer"
    return (
        f"| {name} | {health.rps:,.0f} | {classify.rps:,.0f} | {classify.p99_ms:.1f} ms "
        f"| {percentile(quiet, 50):.1f} / {percentile(quiet, 99):.1f} ms "
        f"| {under} | {len(latencies)} ok, {failed} failed |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--slow", type=int, default=200, help="slow connections to open")
    parser.add_argument("--only", help="measure only the candidates whose name has this")
    args = parser.parse_args()
    print(
        "| server | /healthz req/s | classify req/s | classify p99 "
        f"| classify p50 / p99, quiet | …with {args.slow} slow clients open | requests |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, command in candidates(0).items():
        if args.only and args.only not in name:
            continue
        port = free_port()
        command = candidates(port)[name]
        print(measure(name, command, port, args.home, args.slow), flush=True)


if __name__ == "__main__":
    main()
