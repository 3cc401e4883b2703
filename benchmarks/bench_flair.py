"""The Flair backend beside the scikit-learn one: training time, held-out scores, load time,
latency and throughput for each embedding choice, and whether averaging two models helps.

    .venv/bin/python benchmarks/bench_flair.py                          # print the section
    .venv/bin/python benchmarks/bench_flair.py --write docs/benchmarks.md
    .venv/bin/python benchmarks/bench_flair.py --only sklearn,onehot    # skip the slow ones

Every model is trained on the same 3,565 development messages and scored on the same 891
held out (``train_test_split_indices``, seed 0), each in a fresh process, so its load time
and memory are its own. Fine-tuning MiniLM takes several minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from report import write_section

from tagloop.ml.backends import get_backend
from tagloop.ml.datasets import load_dataset
from tagloop.ml.metrics import compute_metrics
from tagloop.ml.split import train_test_split_indices

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared/data/sms-spam-collection/SMSSpamCollection"
HEADING = "## Flair backend (bench_flair.py)"
CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "sklearn": ("sklearn", {}),
    "onehot": ("flair", {"embeddings": "onehot"}),
    "minilm-frozen": ("flair", {"embeddings": "minilm", "fine_tune": False}),
    "minilm": ("flair", {"embeddings": "minilm"}),
}
LABELS = {
    "sklearn": "scikit-learn (default)",
    "onehot": "Flair OneHot+GRU",
    "minilm-frozen": "Flair MiniLM, frozen encoder",
    "minilm": "Flair MiniLM, fine-tuned",
}
SINGLE_RUNS = 200
EXPLAIN_RUNS = 20


def run_one(name: str, data: str, out: Path) -> dict[str, Any]:
    """In a child process: train, save, reload, time predictions; held-out proba to ``out``."""
    backend, params = CONFIGS[name]
    started = time.perf_counter()
    cls = get_backend(backend)
    import_seconds = time.perf_counter() - started
    ds = load_dataset(data)
    train_idx, test_idx = train_test_split_indices(ds.texts, ds.labels, test_size=0.2, seed=0)
    texts = [ds.texts[i] for i in train_idx]
    labels = [ds.labels[i] for i in train_idx]
    held = [ds.texts[i] for i in test_idx]
    held_labels = [ds.labels[i] for i in test_idx]
    epochs: list[str] = []

    def progress(stage: str, _fraction: float) -> None:
        if "dev accuracy" in stage:
            epochs.append(stage)

    wall, cpu = time.perf_counter(), time.process_time()
    model = cls(seed=0, **params).fit(texts, labels, progress=progress)
    train_wall, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.model"
        model.save(path)
        size = path.stat().st_size
        started = time.perf_counter()
        model = cls.load(path)
        load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    proba = model.predict_proba(held)
    batch_seconds = time.perf_counter() - started
    np.save(out, proba)
    single = []
    for text in held[:SINGLE_RUNS]:
        started = time.perf_counter()
        model.predict_proba_one(text)
        single.append(time.perf_counter() - started)
    explain = []
    for text in held[:EXPLAIN_RUNS]:
        started = time.perf_counter()
        model.explain(text)
        explain.append(time.perf_counter() - started)
    metrics = compute_metrics(held_labels, proba, list(model.classes_))
    return {
        "name": name,
        "params": model.get_params(),
        "train_rows": len(texts),
        "test_rows": len(held),
        "import_seconds": import_seconds,
        "train_seconds": train_wall,
        "train_cpu_seconds": train_cpu,
        "epochs": epochs,
        "artifact_bytes": size,
        "load_seconds": load_seconds,
        "single_ms_median": 1000 * statistics.median(single),
        "single_ms_p95": 1000 * float(np.percentile(single, 95)),
        "batch_per_second": len(held) / batch_seconds,
        "explain_ms_median": 1000 * statistics.median(explain),
        "accuracy": metrics["accuracy"],
        "mcc": metrics["mcc"],
        "ece": metrics["ece"],
        "errors": round((1 - metrics["accuracy"]) * len(held)),
    }


def ensembles(results: dict[str, dict[str, Any]], data: str, proba: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    """Held-out scores of the mean of two models' calibrated probabilities."""
    ds = load_dataset(data)
    _, test_idx = train_test_split_indices(ds.texts, ds.labels, test_size=0.2, seed=0)
    held_labels = [ds.labels[i] for i in test_idx]
    classes = sorted(set(ds.labels))
    names = list(results)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            m = compute_metrics(held_labels, (proba[a] + proba[b]) / 2, classes)
            best = max(results[a]["mcc"], results[b]["mcc"])
            rows.append(
                {
                    "pair": f"{LABELS[a]} + {LABELS[b]}",
                    "accuracy": m["accuracy"],
                    "mcc": m["mcc"],
                    "ece": m["ece"],
                    "errors": round((1 - m["accuracy"]) * len(held_labels)),
                    "gain": m["mcc"] - best,
                }
            )
    return rows


def section(results: dict[str, dict[str, Any]], pairs: list[dict[str, Any]]) -> str:
    first = next(iter(results.values()))
    load = os.getloadavg()
    lines = [
        "Measured with `python benchmarks/bench_flair.py --write docs/benchmarks.md` on "
        f"{os.cpu_count()} cores ({platform.machine()}, Python {platform.python_version()}, "
        f"torch threads 2), load average {load[0]:.1f} at the end of the run (other work shared "
        "the machine: compare CPU seconds, and read wall times as upper bounds). Trained on "
        f"{first['train_rows']:,} development messages, scored on the {first['test_rows']:,} "
        "held out (`train_test_split_indices`, seed 0); the Flair backend keeps 10% of its "
        "training rows as a dev split for choosing the epoch and the softmax temperature.",
        "",
        "| model | train (wall) | train (CPU) | accuracy | MCC | ECE | errors | artifact "
        "| load | 1 message (median / p95) | batch | explain |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {LABELS[name]} | {r['train_seconds']:.1f} s | {r['train_cpu_seconds']:.0f} s "
            f"| {r['accuracy']:.4f} | {r['mcc']:.4f} | {r['ece']:.4f} | {r['errors']} "
            f"| {_size(r['artifact_bytes'])} | {r['load_seconds']:.2f} s "
            f"| {r['single_ms_median']:.1f} / {r['single_ms_p95']:.1f} ms "
            f"| {r['batch_per_second']:,.0f} msg/s | {r['explain_ms_median']:.0f} ms |"
        )
    lines += [
        "",
        "Parameters (as recorded in the registry) and the dev score after each epoch:",
        "",
    ]
    for name, r in results.items():
        lines.append(f"- {LABELS[name]}: `{json.dumps(r['params'])}`")
        lines += [f"  - {stage}" for stage in r["epochs"]]
    flair_import = [r["import_seconds"] for r in results.values() if r["params"].get("embeddings")]
    if flair_import:
        lines += [
            "",
            f"Importing torch and flair takes {max(flair_import):.1f} s once per process, "
            "before the first load; a MiniLM load also reads the encoder from its package.",
        ]
    if pairs:
        lines += [
            "",
            "Ensembles: the mean of two models' calibrated probabilities on the same held-out "
            "messages (gain = MCC minus the better member's MCC).",
            "",
            "| pair | accuracy | MCC | ECE | errors | gain |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {p['pair']} | {p['accuracy']:.4f} | {p['mcc']:.4f} | {p['ece']:.4f} "
            f"| {p['errors']} | {p['gain']:+.4f} |"
            for p in pairs
        ]
    return "\n".join(lines)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("TAGLOOP_TEST_DATA", str(DATA)))
    parser.add_argument("--only", default=",".join(CONFIGS), help="comma-separated configs")
    parser.add_argument("--write", type=Path, help="Replace this script's section in a file.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.data, args.out)))
        return
    results: dict[str, dict[str, Any]] = {}
    proba: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only.split(","):
            out = Path(tmp) / f"{name}.npy"
            print(f"{name}…", file=sys.stderr, flush=True)
            done = subprocess.run(
                [sys.executable, __file__, "--child", name, "--data", args.data, "--out", out],
                check=True,
                capture_output=True,
                text=True,
            )
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
            proba[name] = np.load(out)
            print(json.dumps(results[name]), file=sys.stderr, flush=True)
    body = section(results, ensembles(results, args.data, proba))
    print(body)
    if args.write:
        write_section(args.write, HEADING, body)


if __name__ == "__main__":
    main()
