"""Cross-validate the default backend (and variants) on the development SMS corpus.

Stratified, duplicate-grouped k-fold (``tagloop.ml.split.cross_validation_folds``) repeated
over several seeds; prints a markdown table of mean ± sd per fold. Used to choose the
shipped defaults (docs/model.md):

    .venv/bin/python benchmarks/cv_model.py                       # the shipped default
    .venv/bin/python benchmarks/cv_model.py --grid                # the candidates compared
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from tagloop.ml.backends.sklearn import SklearnBackend
from tagloop.ml.datasets import load_dataset
from tagloop.ml.metrics import compute_metrics
from tagloop.ml.split import cross_validation_folds

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sms-spam-collection"
GRID: list[dict[str, Any]] = [
    {"class_weight": None},
    {"class_weight": {"ham": 2.0}},
    {"class_weight": {"ham": 3.0}},
    {"class_weight": {"ham": 2.0}, "alpha": 0.5},
    {"class_weight": {"ham": 2.0}, "alpha": 2.0},
    {"class_weight": {"ham": 2.0}, "ngram_range": [2, 4]},
    {"class_weight": {"ham": 2.0}, "ngram_range": [1, 5]},
]


def cross_validate(
    texts: list[str], labels: list[str], params: dict[str, Any], k: int, seeds: int
) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = {"accuracy": [], "mcc": [], "ham_fpr": [], "ece": []}
    for seed in range(seeds):
        for train, test in cross_validation_folds(texts, labels, k, seed):
            model = SklearnBackend(**{"seed": seed, **params})
            model.fit([texts[i] for i in train], [labels[i] for i in train])
            m = compute_metrics(
                [labels[i] for i in test],
                model.predict_proba([texts[i] for i in test]),
                model.classes_,
            )
            scores["accuracy"].append(m["accuracy"])
            scores["mcc"].append(m["mcc"])
            # Ham wrongly flagged: the false-positive rate of the spam class.
            scores["ham_fpr"].append(m["per_class"]["spam"]["false_positive_rate"])
            scores["ece"].append(m["ece"])
    return scores


def fmt(values: list[float], percent: bool = False) -> str:
    scale = 100 if percent else 1
    mean, sd = statistics.mean(values) * scale, statistics.stdev(values) * scale
    return f"{mean:.2f}% ± {sd:.2f}" if percent else f"{mean:.4f} ± {sd:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=os.environ.get("TAGLOOP_TEST_DATA", DATA / "SMSSpamCollection")
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--grid", action="store_true", help="compare the candidate settings")
    args = parser.parse_args()
    data = load_dataset(args.data)
    candidates = GRID if args.grid else [{}]
    print(f"{args.folds}-fold x {args.seeds} seeds, {data.rows:,} messages\n")
    print("| params | accuracy | MCC | ham FPR | ECE | s |")
    print("|---|---|---|---|---|---|")
    for params in candidates:
        started = time.perf_counter()
        s = cross_validate(data.texts, data.labels, params, args.folds, args.seeds)
        seconds = time.perf_counter() - started
        label = json.dumps(params) if params else "default"
        print(
            f"| `{label}` | {fmt(s['accuracy'], True)} | {fmt(s['mcc'])} | "
            f"{fmt(s['ham_fpr'], True)} | {fmt(s['ece'])} | {seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
