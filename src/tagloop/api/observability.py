"""Prometheus metrics that stay correct with several server workers.

``tagloop serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts; every process
then writes its samples to files there and ``/metrics`` adds them up. Without it (tests,
``flask run``) the process's own registry is reported.
"""

from __future__ import annotations

import os
import time
from collections import Counter as Tally
from collections.abc import Sequence

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "tagloop_http_requests_total",
    "HTTP requests by endpoint and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "tagloop_http_request_duration_seconds",
    "Time to answer a request",
    ["endpoint", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PREDICTIONS = Counter(
    "tagloop_predictions_total", "Stored predictions by project and label", ["project", "label"]
)
FEEDBACK = Counter(
    "tagloop_feedback_total", "Feedback given by project (each change counts)", ["project"]
)
ACTIVE_MODEL = Gauge(
    "tagloop_active_model_version",
    "Model version served, by project id",
    ["project_id"],
    multiprocess_mode="mostrecent",
)


def count_predictions(project: str, labels: Sequence[str]) -> None:
    if len(labels) == 1:  # the common case, without a Counter
        PREDICTIONS.labels(project, labels[0]).inc()
        return
    for label, n in Tally(labels).items():
        PREDICTIONS.labels(project, label).inc(n)


def count_feedback(project: str) -> None:
    FEEDBACK.labels(project).inc()


def model_served(project_id: int, version: int) -> None:
    ACTIVE_MODEL.labels(str(project_id)).set(version)


def metrics_response() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule else "unmatched"
            observe(rule, request.method, response.status_code, started)
        response.headers[WORKER_HEADER] = str(os.getpid())
        return response


# Which server process answered: the one to look at in its log, and how tests know that
# they reached every worker.
WORKER_HEADER = "X-Tagloop-Worker"


def observe(rule: str, method: str, status: int, started: float) -> None:
    """Count a request answered with ``status`` and the time since ``started``
    (``time.perf_counter()``)."""
    LATENCY.labels(rule, method).observe(time.perf_counter() - started)
    REQUESTS.labels(rule, method, str(status)).inc()
