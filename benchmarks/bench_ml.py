"""Speed and size of the char n-gram ridge (``sklearn`` backend, auto's ``ridge-char``
candidate): one plain fit, no cross-validation; prints a section for docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_ml.py --write docs/benchmarks.md   # full run (~10 min)
    .venv/bin/python benchmarks/bench_ml.py --quick           # skips the 200k/500k fits

Scaling rows resample the 4,456 development messages with replacement; each size is fitted in
a fresh process so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from report import write_section

from tagloop.ml.backends.sklearn import SklearnBackend
from tagloop.ml.datasets import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "sms-spam-collection" / "SMSSpamCollection"
HEADING = "## Core model (bench_ml.py)"
TYPICAL = "Hey, are we still meeting at the station at 6? Let me know if you're running late"
SIZES = [5_000, 50_000, 200_000, 500_000]


def fit_one_size(data: str, rows: int) -> dict[str, float]:
    """Runs in a child process: fit on ``rows`` resampled messages, report time and memory."""
    ds = load_dataset(data)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, ds.rows, size=rows)
    texts = [ds.texts[i] for i in pick]
    labels = [ds.labels[i] for i in pick]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    SklearnBackend().fit(texts, labels)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "peak_mb": peak, "before_mb": before}


def scaling(data: str, sizes: list[int]) -> list[dict[str, float]]:
    results = []
    for rows in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(rows), "--data", data],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"  {rows:,} rows: {results[-1]}", file=sys.stderr, flush=True)
    return results


def measure(data: str, sizes: list[int]) -> str:
    load_at_start = os.getloadavg()[0]
    ds = load_dataset(data)
    train_times = []
    for _ in range(3):
        started = time.perf_counter()
        model = SklearnBackend().fit(ds.texts, ds.labels)
        train_times.append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        model.save(path)
        size = path.stat().st_size
        load_times = []
        for _ in range(5):
            started = time.perf_counter()
            loaded = SklearnBackend.load(path)
            load_times.append(time.perf_counter() - started)

    # Batch: a freshly loaded model (cold word cache), then the same batch again (warm).
    started = time.perf_counter()
    loaded.predict_proba(ds.texts)
    cold = ds.rows / (time.perf_counter() - started)
    started = time.perf_counter()
    loaded.predict_proba(ds.texts)
    warm = ds.rows / (time.perf_counter() - started)

    # One message: every corpus message once (cache warm from above), then the typical SMS.
    per_call = []
    for text in ds.texts:
        started = time.perf_counter_ns()
        loaded.predict_proba_one(text)
        per_call.append((time.perf_counter_ns() - started) / 1000)
    typical = []
    for _ in range(2000):
        started = time.perf_counter_ns()
        loaded.predict_proba_one(TYPICAL)
        typical.append((time.perf_counter_ns() - started) / 1000)
    sklearn_pipeline = _sklearn_single_message(ds.texts, ds.labels)

    rows = scaling(data, sizes)
    load_at_end = os.getloadavg()[0]
    base = rows[0]
    lines = [
        HEADING,
        "",
        f"Command: `.venv/bin/python benchmarks/bench_ml.py{' --quick' if len(sizes) < 4 else ''}"
        " --write docs/benchmarks.md` — "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; data: the 4,456-message development corpus."
        f" 1-minute load average at the start / end: {load_at_start:.1f} / {load_at_end:.1f}"
        + (
            " (above the core count: other work competed for the CPU, times are inflated)."
            if max(load_at_start, load_at_end) > (os.cpu_count() or 1)
            else "."
        ),
        "",
        "The char n-gram ridge (`--backend sklearn`, `auto`'s `ridge-char` candidate), one "
        "plain fit without cross-validation: what serving costs and what one fit costs. "
        "`tagloop train` fits k + 1 times (see Growth with size below; quality figures are "
        "cross-validated in model.md).",
        "",
        "| measure | result | bar |",
        "|---|---|---|",
        f"| training, 4,456 messages (median of 3) | {statistics.median(train_times):.2f} s "
        "| ≤ 5 s |",
        f"| batch `predict_proba`, fresh model / warm word cache | {cold:,.0f} / {warm:,.0f} msg/s "
        "| ≥ 10,000 msg/s |",
        f"| `predict_proba_one`, typical SMS, median | {statistics.median(typical):.1f} µs "
        "| ≤ 100 µs |",
        f"| `predict_proba_one`, all corpus messages, median / p99 | "
        f"{statistics.median(per_call):.1f} / {np.percentile(per_call, 99):.1f} µs | |",
        "| (for comparison) scikit-learn pipeline, one message, median "
        f"| {sklearn_pipeline:.0f} µs | |",
        f"| load artifact (median of 5) | {statistics.median(load_times) * 1000:.0f} ms "
        "| ≤ 200 ms |",
        f"| artifact size | {size / 1e6:.2f} MB ({len(model.scorer_.terms):,} n-grams) | |",
        "",
        "Training time and peak memory (resident set of a fresh process, ru_maxrss) by size:",
        "",
        "| messages | training | per 1k messages | peak memory | memory before fit |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rows']:,} | {r['seconds']:.1f} s | {r['seconds'] / r['rows'] * 1000:.2f} s "
            f"| {r['peak_mb']:,.0f} MB | {r['before_mb']:,.0f} MB |"
        )
    growth = rows[-1]["seconds"] / base["seconds"]
    scale = rows[-1]["rows"] / base["rows"]
    memory = (rows[-1]["peak_mb"] - rows[-1]["before_mb"]) / max(
        base["peak_mb"] - base["before_mb"], rows[1]["peak_mb"] - rows[1]["before_mb"], 1
    )
    lines += [
        "",
        f"From {base['rows']:,} to {rows[-1]['rows']:,} messages ({scale:.0f}x) training takes"
        f" {growth:.0f}x as long: time grows as n^{math.log(growth) / math.log(scale):.2f}."
        " Two parts grow a little faster than n: scikit-learn's TfidfVectorizer (its vocabulary"
        " counting and sorting), and the ridge solver, whose iterations grow as the data term"
        f" outweighs the fixed `alpha`. Memory grows with n ({memory:.0f}x the extra memory of"
        f" the {rows[1]['rows']:,}-message fit at {rows[-1]['rows']:,}); 500,000 messages fit in"
        f" {rows[-1]['peak_mb'] / 1024:.1f} GB. Resampling repeats messages, so the vocabulary"
        " stays at the corpus's size; real data of that size would have a larger vocabulary.",
        "",
    ]
    return "\n".join(lines)


def _sklearn_single_message(texts: list[str], labels: list[str]) -> float:
    """Median latency of the textbook pipeline, for scale."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import RidgeClassifier
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        CalibratedClassifierCV(RidgeClassifier(), cv=3, ensemble=False),
    ).fit(texts, labels)
    times = []
    for _ in range(300):
        started = time.perf_counter_ns()
        pipe.predict_proba([TYPICAL])
        times.append((time.perf_counter_ns() - started) / 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("TAGLOOP_TEST_DATA", str(DATA)))
    parser.add_argument("--quick", action="store_true", help="skip the 200k and 500k fits")
    parser.add_argument(
        "--write", type=Path, help="Replace this script's section in a Markdown file."
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(fit_one_size(args.data, args.child)))
        return
    section = measure(args.data, SIZES[:2] if args.quick else SIZES)
    print(section)
    if args.write:
        write_section(args.write, HEADING, section.removeprefix(HEADING))


if __name__ == "__main__":
    main()
