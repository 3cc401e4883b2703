"""Labelling from zero: the queue (ml/selection.py) against random order, with a simulated
person who answers with the true label.

    .venv/bin/python benchmarks/bench_labelling.py --write docs/benchmarks.md   # ~20 min
    .venv/bin/python benchmarks/bench_labelling.py --seeds 1                    # quick look

Per data set and seed: a quarter of the rows is held out for scoring (never asked about),
the rest is the unlabelled pile. Both strategies start from zero labels. The queue asks its
diverse sample first (round robin over TF-IDF clusters) until two labels have two texts
each (the backend's minimum; the service waits for ``labels_before_first_model``, 8), then,
after every batch, the default backend is retrained on all labels so far and the next batch
is the queue's order over what is left (least sure first, spread over clusters, 20% random)
— what the service does, with ``retrain_after_labels`` equal to the batch. Random order
asks the pile in a shuffled order. Accuracy is measured on the held-out rows after each
batch.

Data sets: the SMS development data (../shared/data/sms-spam-collection, 4,456 messages,
2 labels) and five WordNet noun categories (``wordnet-base``: the glosses of
``noun.animal``, ``noun.artifact``, ``noun.food``, ``noun.person``, ``noun.plant``, 500
of each; WordNet's licence allows use and redistribution with its notice).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from report import write_section

from tagloop.ml.backends.sklearn import SklearnBackend
from tagloop.ml.datasets import load_dataset
from tagloop.ml.selection import clusters, diverse_order, uncertain_order
from tagloop.ml.split import train_test_split_indices

ROOT = Path(__file__).resolve().parents[1]
SMS = ROOT / ".." / "shared" / "data" / "sms-spam-collection" / "SMSSpamCollection"
WORDNET = Path("/usr/share/wordnet/data.noun")
WORDNET_CLASSES = {"05": "animal", "06": "artifact", "13": "food", "18": "person", "20": "plant"}
HEADING = "## Labelling from zero (bench_labelling.py)"
CHECKPOINTS = (50, 100, 200, 400)
TARGET = 0.97
BATCH = 10


def sms() -> tuple[list[str], list[str]]:
    data = load_dataset(SMS)
    return data.texts, data.labels


def wordnet(per_class: int = 500, seed: int = 0) -> tuple[list[str], list[str]]:
    """Glosses of five noun categories (the words themselves left out), ``per_class`` each."""
    if not WORDNET.is_file():
        sys.exit(f"{WORDNET} is missing: apt-get install wordnet-base")
    by_class: dict[str, list[str]] = {name: [] for name in WORDNET_CLASSES.values()}
    for line in WORDNET.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(" ") or "|" not in line:
            continue
        fields, gloss = line.split("|", 1)
        lexfile = fields.split()[1]
        if lexfile in WORDNET_CLASSES and len(gloss.strip()) > 20:
            by_class[WORDNET_CLASSES[lexfile]].append(gloss.strip())
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for name, glosses in by_class.items():
        for gloss in rng.sample(glosses, min(per_class, len(glosses))):
            texts.append(gloss)
            labels.append(name)
    return texts, labels


def fit(texts: list[str], labels: list[str], seed: int) -> SklearnBackend:
    return SklearnBackend(seed=seed).fit(texts, labels)


def simulate(
    texts: list[str],
    labels: list[str],
    seed: int,
    strategy: str,
    budget: int,
    target: float,
) -> tuple[dict[int, float], int | None]:
    """Accuracy after each checkpoint, and the labels needed to reach ``target``."""
    pool_idx, test_idx = train_test_split_indices(texts, labels, test_size=0.25, seed=seed)
    pool = [texts[i] for i in pool_idx]
    truth = [labels[i] for i in pool_idx]
    test_texts = [texts[i] for i in test_idx]
    test_labels = np.array([labels[i] for i in test_idx])
    rng = np.random.default_rng(seed)
    asked: list[int] = []
    left = np.ones(len(pool), dtype=bool)
    cluster_of = clusters(pool, seed)[0] if strategy == "queue" else None
    order: list[int] = (
        diverse_order(pool, seed).tolist()
        if strategy == "queue"
        else rng.permutation(len(pool)).tolist()
    )
    scores: dict[int, float] = {}
    reached: int | None = None
    while len(asked) < budget and left.any():
        step = BATCH if len(asked) < 400 else 25
        batch = [i for i in order if left[i]][:step]
        for i in batch:
            left[i] = False
        asked.extend(batch)
        # The backend's calibration needs two texts of a label: rarer labels wait.
        counts = Counter(truth[i] for i in asked)
        usable = [i for i in asked if counts[truth[i]] >= 2]
        if len({truth[i] for i in usable}) < 2:
            continue
        model = fit([pool[i] for i in usable], [truth[i] for i in usable], seed)
        accuracy = float((np.asarray(model.predict(test_texts)) == test_labels).mean())
        n = len(asked)
        for point in CHECKPOINTS:
            if point not in scores and n >= point:
                scores[point] = accuracy
        if reached is None and accuracy >= target:
            reached = n
            if n >= max(CHECKPOINTS):
                break
        if strategy == "queue":
            rest = np.flatnonzero(left)
            if rest.size:
                proba = model.predict_proba([pool[i] for i in rest])
                assert cluster_of is not None
                ranked = uncertain_order(proba, cluster_of[rest], seed + n)
                order = rest[ranked].tolist()
    return scores, reached


def run(
    name: str,
    load: Callable[[], tuple[list[str], list[str]]],
    seeds: int,
    budget: int,
    target: float,
) -> str:
    texts, labels = load()
    started = time.perf_counter()
    rows: dict[str, list[tuple[dict[int, float], int | None]]] = {"queue": [], "random": []}
    for seed in range(seeds):
        for strategy in rows:
            rows[strategy].append(simulate(texts, labels, seed, strategy, budget, target))
            print(f"{name} seed {seed} {strategy}: {rows[strategy][-1]}", file=sys.stderr)
    classes = len(set(labels))
    lines = [
        f"**{name}** — {len(texts):,} texts, {classes} labels; {seeds} seeds; "
        f"accuracy on the held-out quarter (mean ± sd over seeds); labels to reach "
        f"{target:.0%} (median over seeds; '>{budget}' = not reached within {budget}).",
        "",
        "| strategy | "
        + " | ".join(f"{p} labels" for p in CHECKPOINTS)
        + f" | labels to {target:.0%} |",
        "|---|" + "---:|" * (len(CHECKPOINTS) + 1),
    ]
    needed: dict[str, float] = {}
    for strategy, results in rows.items():
        cells = []
        for point in CHECKPOINTS:
            values = [r[0][point] for r in results if point in r[0]]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.3f} ± {sd:.3f}" if values else "—")
        reach = [r[1] if r[1] is not None else budget + BATCH for r in results]
        needed[strategy] = statistics.median(reach)
        per_seed = ", ".join(str(r[1]) if r[1] is not None else f">{budget}" for r in results)
        shown = f">{budget}" if needed[strategy] > budget else f"{needed[strategy]:.0f}"
        lines.append(f"| {strategy} | " + " | ".join(cells) + f" | {shown} ({per_seed}) |")
    ratio = needed["queue"] / needed["random"]
    lines += [
        "",
        f"Queue / random labels to {target:.0%}: **{ratio:.0%}**"
        + (" (bar: ≤ 60%)" if name.startswith("SMS") else "")
        + (
            " — random order never reached it, so this is an upper bound"
            if needed["random"] > budget
            else ""
        )
        + f". Run time {time.perf_counter() - started:.0f} s.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=1000, help="Most labels a run asks for.")
    parser.add_argument(
        "--write", type=Path, help="Replace this script's section in a Markdown file."
    )
    args = parser.parse_args()
    sections = [
        run("SMS spam (development data)", sms, args.seeds, args.budget, TARGET),
        run("WordNet nouns (5 categories)", wordnet, args.seeds, args.budget, 0.80),
    ]
    body = "\n\n".join(
        [
            f"`python benchmarks/bench_labelling.py --seeds {args.seeds} "
            "--write docs/benchmarks.md`. "
            f"Batches of {BATCH} labels (25 after 400), the model retrained after each; "
            "the first model once two labels have two texts each. The WordNet set's target is 80% "
            "(its ceiling is lower than SMS's).",
            *sections,
        ]
    )
    print(HEADING + "\n\n" + body)
    if args.write:
        write_section(args.write, HEADING, body)


if __name__ == "__main__":
    main()
