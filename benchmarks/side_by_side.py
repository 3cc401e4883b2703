"""Issue 11's speed bar, measured side by side in one run on one machine (wrk -c16, 2 workers
each): a yardstick (a plain Flask route returning "ok", as the tutorial serves it: gunicorn
with 2 sync workers; and the same route on granian, the server ``tagloop serve`` runs),
tagloop's classify (one text, stored with a durable commit, rate limit off) and its batches
of 1,000, and MLflow's ``mlflow models serve`` on a scikit-learn pipeline of the same kind
(TF-IDF + a linear model), installed with pip into a throw-away venv.

    python benchmarks/bench_api.py --side-by-side --write docs/benchmarks.md

Bar: classify ≥ 0.6 of the yardstick, ≥ 8x MLflow, batches ≥ 50,000 messages/s.
"""

from __future__ import annotations

import http.client
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_api import (
    MESSAGE,
    Server,
    WrkResult,
    count_predictions,
    free_port,
    load_texts,
    post_script,
    prepare,
    settle,
    wrk,
)

HEADING = "## Side by side: a plain route, tagloop, MLflow (bench_api.py --side-by-side)"
BIN = Path(sys.executable).parent
WORKERS = 2
YARDSTICK = """from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok():
    return "ok"
"""
# Trains and saves the MLflow model inside the throw-away venv (its own scikit-learn).
MLFLOW_MODEL = """import sys

import mlflow.sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

rows = [line.split("\\t", 1) for line in open(sys.argv[1], encoding="utf-8").read().splitlines()]
labels, texts = zip(*rows)
pipeline = make_pipeline(
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
    LogisticRegression(max_iter=1000),
)
pipeline.fit(list(texts), list(labels))
mlflow.sklearn.save_model(pipeline, sys.argv[2])
"""


def start_detached(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> Any:
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: Any) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait(port: int, path: str, process: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{process.args[0]} not ready after {timeout}s")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (the server's workers)."""
    total, pids = 0, [str(pid)]
    while pids:
        current = pids.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue  # ended meanwhile
        total += int(stat[11]) + int(stat[12])
        pids += children
    return total / os.sysconf("SC_CLK_TCK")


def _measure(
    url: str, seconds: int, pid: int, script: str | None = None, connections: int = 16
) -> WrkResult:
    """wrk's figures, and the server's CPU time per request (its process tree's user +
    system time over the run, divided by the requests): a figure other load on the machine
    changes much less than requests/s."""
    wrk(url, seconds=2, connections=connections, script=script)  # warm up
    before = tree_cpu_seconds(pid)
    result = wrk(url, seconds=seconds, connections=connections, script=script)
    result.cpu_ms = (tree_cpu_seconds(pid) - before) * 1000 / max(result.requests, 1)
    return result


def yardstick(seconds: int, folder: Path) -> dict[str, WrkResult]:
    (folder / "yardstick.py").write_text(YARDSTICK)
    out = {}
    for name in ("gunicorn, 2 sync workers", "granian, 2 workers"):
        port = free_port()
        if name.startswith("gunicorn"):
            command = [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(WORKERS)]
            command += ["--log-level", "warning", "yardstick:app"]
        else:
            command = [str(BIN / "granian"), "--interface", "wsgi", "--port", str(port)]
            command += ["--workers", str(WORKERS), "--log-level", "warning", "yardstick:app"]
        process = start_detached(command, cwd=folder)
        try:
            _wait(port, "/", process)
            out[name] = _measure(f"http://127.0.0.1:{port}/", seconds, process.pid)
        finally:
            _stop(process)
        print(f"yardstick on {name}: {out[name].rps:,.0f} req/s", file=sys.stderr)
    return out


def tagloop(seconds: int, home: Path, data: Path) -> dict[str, Any]:
    prepare(home, data)
    server = Server(home, WORKERS, 256)  # tagloop serve's defaults but for the workers
    try:
        url, pid = server.url + "/api/v1/classify", server.process.pid
        one = _measure(url, seconds, pid, post_script({"text": MESSAGE}))
        before = settle(home)
        batch_script = post_script({"texts": load_texts(data, 1000)})
        batch = _measure(url, seconds, pid, batch_script, connections=4)
        stored = settle(home) - before
    finally:
        server.stop()
    print(
        f"tagloop: classify {one.rps:,.0f} req/s, batches {batch.rps * 1000:,.0f} msg/s",
        file=sys.stderr,
    )
    return {"one": one, "batch": batch, "batch_stored": stored, "rows": count_predictions(home)}


def mlflow(seconds: int, folder: Path, data: Path) -> dict[str, Any]:
    # A throw-away venv (or, to measure again without reinstalling, one named by
    # TAGLOOP_BENCH_MLFLOW_VENV that already has mlflow and scikit-learn).
    venv = Path(os.environ.get("TAGLOOP_BENCH_MLFLOW_VENV") or folder / "mlflow-venv")
    if not (venv / "bin/mlflow").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin/pip"), "install", "--quiet", "mlflow", "scikit-learn"]
        subprocess.run(pip, check=True)
    version = subprocess.run(
        [str(venv / "bin/python"), "-c", "import mlflow; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (folder / "train_mlflow.py").write_text(MLFLOW_MODEL)
    model = folder / "mlflow-model"
    python = str(venv / "bin/python")
    subprocess.run([python, str(folder / "train_mlflow.py"), str(data), str(model)], check=True)
    port = free_port()
    # mlflow runs `uvicorn` by name: the venv's bin goes first on PATH.
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
        "MLFLOW_TRACKING_URI": f"file://{folder / 'mlruns'}",
    }
    command = [str(venv / "bin/mlflow"), "models", "serve", "-m", str(model), "-p", str(port)]
    command += ["-w", str(WORKERS), "--env-manager", "local"]
    process = start_detached(command, env=env)
    url = f"http://127.0.0.1:{port}/invocations"
    try:
        _wait(port, "/ping", process)
        one = _measure(url, seconds, process.pid, post_script({"inputs": [MESSAGE]}))
        batch_script = post_script({"inputs": load_texts(data, 1000)})
        batch = _measure(url, seconds, process.pid, batch_script, connections=4)
    finally:
        _stop(process)
    print(
        f"MLflow {version}: {one.rps:,.0f} req/s, batches {batch.rps * 1000:,.0f} msg/s",
        file=sys.stderr,
    )
    return {"one": one, "batch": batch, "version": version}


def run(data: Path, seconds: int) -> str:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="tagloop-side-") as tmp:
        folder = Path(tmp)
        plain = yardstick(seconds, folder)
        home = folder / "home"
        home.mkdir()
        ours = tagloop(seconds, home, data)
        theirs = mlflow(seconds, folder, data)
    return report(plain, ours, theirs, seconds, (load, os.getloadavg()[0]))


def report(
    plain: dict[str, WrkResult],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    seconds: int,
    load: tuple[float, float],
) -> str:
    stick = plain["gunicorn, 2 sync workers"]
    one, batch = ours["one"], ours["batch"]
    m_one, m_batch = theirs["one"], theirs["batch"]
    bars = [
        ("classify ≥ 0.6 of the yardstick", one.rps / stick.rps, 0.6, "{:.2f}"),
        ("classify ≥ 8x MLflow", one.rps / m_one.rps, 8.0, "{:.1f}x"),
        ("batches ≥ 50,000 messages/s", batch.rps * 1000, 50_000.0, "{:,.0f}"),
    ]

    def row(name: str, r: WrkResult, per_request: int = 1) -> str:
        errors = r.non_2xx + r.errors
        return (
            f"| {name} | {r.rps:,.0f} | {r.rps * per_request:,.0f} | {r.rps / stick.rps:.2f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.cpu_ms:.2f} | {errors} |"
        )

    lines = [
        "Measured with `python benchmarks/bench_api.py --side-by-side --write docs/benchmarks.md` "
        f"in one run on {os.cpu_count()} cores ({platform.machine()}, Python "
        f"{platform.python_version()}); wrk on the same machine, 2 threads, 16 connections "
        f"(4 for batches), {seconds}s per row after a 2 s warm-up; {WORKERS} worker processes "
        f"everywhere. 1-minute load average at the start / end: {load[0]:.1f} / {load[1]:.1f} "
        "(other jobs share the machine: the server CPU column is the steadier figure). "
        "tagloop: `tagloop serve` (granian) with SQLite in WAL mode, every prediction committed "
        "before its response leaves (durable), rate limit off as MLflow has none. MLflow "
        f"{theirs['version']}: `mlflow models serve --env-manager local` on a TF-IDF + "
        "logistic regression pipeline trained on the same data, `POST /invocations` with "
        '`{"inputs": [...]}`; it stores nothing.',
        "",
        "| server, request | req/s | messages/s | × yardstick | p50 ms | p99 ms "
        "| server CPU ms/request | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row('yardstick: Flask "ok", gunicorn 2 sync workers', stick),
        row('yardstick: Flask "ok", granian 2 workers', plain["granian, 2 workers"]),
        row("tagloop classify, 1 text, stored", one),
        row("MLflow, 1 text", m_one),
        row("tagloop classify, batch of 1,000, stored", batch, 1000),
        row("MLflow, batch of 1,000", m_batch, 1000),
        "",
        "| bar | measured | met |",
        "|---|---:|---|",
    ]
    for name, value, bar, fmt in bars:
        lines.append(f"| {name} | {fmt.format(value)} | {'yes' if value >= bar else 'no'} |")
    granian = plain["granian, 2 workers"]
    if load[0] > 2 * (os.cpu_count() or 1):
        lines += [
            "",
            f"**The load average was {load[0]:.0f} on {os.cpu_count()} cores**: gunicorn's sync "
            "workers lose far more to such contention than granian does, so the req/s ratios "
            "against the gunicorn yardstick overstate tagloop and a 'yes' above is not to be "
            "trusted; the CPU figures below are the comparison to read.",
        ]
    lines += [
        "",
        f"Server CPU per request (steadier than req/s when other work shares the cores): "
        f"tagloop classify {one.cpu_ms:.2f} ms against the yardstick's {stick.cpu_ms:.2f} ms "
        f"on gunicorn ({stick.cpu_ms / one.cpu_ms:.2f} of its rate at equal CPU) and "
        f"{granian.cpu_ms:.2f} ms on granian; MLflow {m_one.cpu_ms:.2f} ms "
        f"({m_one.cpu_ms / one.cpu_ms:.1f}x tagloop's). A batch of 1,000 costs tagloop "
        f"{batch.cpu_ms:.0f} ms of server CPU ({1e6 / batch.cpu_ms:,.0f} messages per "
        f"CPU-second) and MLflow {m_batch.cpu_ms:.0f} ms.",
        "",
        f"Batches: {ours['batch_stored']:,} rows stored during the measured batch run "
        f"({batch.ok:,} batches answered 2xx; batches in flight when wrk stops are stored too).",
    ]
    return "\n".join(lines)
