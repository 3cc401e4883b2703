"""Labelling from zero: the product's queue and training schedule against random order,
with a simulated person who answers with the true label.

    .venv/bin/python benchmarks/bench_labelling.py --seeds 5 --write docs/benchmarks.md
    .venv/bin/python benchmarks/bench_labelling.py --seeds 1                    # quick look

Per data set and seed: a quarter of the rows is held out for scoring (never asked about),
the rest is the unlabelled pile. Both strategies start from zero labels and are asked one
label at a time. The queue does what the service does, with the same functions: the order
is ``ml.selection.queue_order`` over the open texts (the diverse sample before any label;
before any model, ``ml.selection.order_by_labels`` — the order by a quick scorer of the labels
so far — whenever ``service.label_training.ranking_due`` says the worker would re-rank; then
the least sure first, spread over clusters, 20% random; seed 0, as
``service.labelling.rank``), and a model is trained — the default backend on every usable
label — whenever ``service.label_training.next_model`` says the service would queue one,
with the service's default ``labels_before_first_model`` and ``retrain_after_labels``;
then the rest is re-ranked by it. (The service's worker needs a few seconds per model, in
which a person may give a label or two more by the old order; the simulation does not wait.)
Random order asks the pile in a shuffled order.

Both are scored the same way, on a fine grid (every 5 labels up to 100, every 10 up to
200, every 25 after): the default backend trained on every label so far, accuracy on the
held-out rows. "Labels to reach X" is the first grid point at or above X.

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from report import write_section

from tagloop.ml.backends import get_backend
from tagloop.ml.backends.base import Backend
from tagloop.ml.datasets import load_dataset
from tagloop.ml.selection import order_by_labels, queue_order
from tagloop.ml.split import train_test_split_indices
from tagloop.ml.train import DEFAULT_BACKEND
from tagloop.service.label_training import next_model, ranking_due
from tagloop.service.projects import ProjectSettings

ROOT = Path(__file__).resolve().parents[1]
SMS = ROOT / ".." / "shared" / "data" / "sms-spam-collection" / "SMSSpamCollection"
WORDNET = Path("/usr/share/wordnet/data.noun")
WORDNET_CLASSES = {"05": "animal", "06": "artifact", "13": "food", "18": "person", "20": "plant"}
HEADING = "## Labelling from zero (bench_labelling.py)"
CHECKPOINTS = (50, 100, 200, 400)
TARGET = 0.97


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


def grid(budget: int) -> list[int]:
    """Where both strategies are scored: every 5 labels to 100, 10 to 200, 25 after."""
    points = [*range(5, 100, 5), *range(100, 200, 10), *range(200, budget + 1, 25)]
    return [p for p in points if p <= budget]


def fit(texts: list[str], labels: list[str]) -> Backend | None:
    """The default backend on the labels it can learn from (a label needs two texts for the
    calibration; rarer ones wait), None while fewer than two labels have two."""
    counts = Counter(labels)
    usable = [i for i, y in enumerate(labels) if counts[y] >= 2]
    if len({labels[i] for i in usable}) < 2:
        return None
    model: Backend = get_backend(DEFAULT_BACKEND)(seed=0)
    return model.fit([texts[i] for i in usable], [labels[i] for i in usable])


@dataclass
class Run:
    scores: dict[int, float]  # accuracy at each grid point
    reached: int | None  # labels to the target
    models: list[int] = field(default_factory=list)  # label counts at which a model came

    def holds(self, target: float) -> int | None:
        """The first grid point from which accuracy stays at or above ``target`` (to the
        last point scored): a crossing that one lucky model cannot make."""
        held = None
        for n in sorted(self.scores):
            if self.scores[n] < target:
                held = None
            elif held is None:
                held = n
        return held


def simulate(
    texts: list[str],
    labels: list[str],
    seed: int,
    strategy: str,
    budget: int,
    target: float,
    schedule: ProjectSettings,
) -> Run:
    pool_idx, test_idx = train_test_split_indices(texts, labels, test_size=0.25, seed=seed)
    pool = [texts[i] for i in pool_idx]
    truth = [labels[i] for i in pool_idx]
    test_texts = [texts[i] for i in test_idx]
    test_labels = np.array([labels[i] for i in test_idx])
    left = np.ones(len(pool), dtype=bool)
    if strategy == "queue":
        order = queue_order(pool, None).tolist()
    else:
        order = np.random.default_rng(seed).permutation(len(pool)).tolist()
    asked: list[int] = []
    run = Run({}, None)
    active: set[str] | None = None
    since = 0
    ranked_on = 0
    points = set(grid(budget))
    model: Backend | None = None
    while len(asked) < budget and left.any():
        i = next(j for j in order if left[j])
        left[i] = False
        asked.append(i)
        since += 1
        n = len(asked)
        given = [truth[j] for j in asked]
        trained = False
        if strategy == "queue":
            due = next_model(
                Counter(given),
                active,
                since,
                schedule.labels_before_first_model,
                schedule.retrain_after_labels,
            )
            if due is not None and (model := fit([pool[j] for j in asked], given)):
                trained = True
                run.models.append(n)
                active, since = set(model.classes_), 0
                rest = np.flatnonzero(left)
                if rest.size:
                    proba = np.asarray(model.predict_proba([pool[j] for j in rest]))
                    order = rest[queue_order([pool[j] for j in rest], proba)].tolist()
            elif ranking_due(Counter(given), active, ranked_on):
                # Before any model: the worker re-ranks by the labels so far (as the service).
                ranked_on = n
                rest = np.flatnonzero(left)
                done = [pool[j] for j in asked]
                order = rest[order_by_labels([pool[j] for j in rest], done, given)].tolist()
        if n not in points:
            continue
        scorer = model if trained else fit([pool[j] for j in asked], given)
        if scorer is None:
            continue
        predicted = np.asarray(scorer.classes_)[scorer.predict_proba(test_texts).argmax(axis=1)]
        run.scores[n] = float((predicted == test_labels).mean())
        if run.reached is None and run.scores[n] >= target:
            run.reached = n
        if run.reached is not None and n >= max(CHECKPOINTS):
            break
    return run


def run(
    name: str,
    load: Callable[[], tuple[list[str], list[str]]],
    seeds: int,
    budget: int,
    target: float,
    schedule: ProjectSettings,
) -> str:
    texts, labels = load()
    started = time.perf_counter()
    rows: dict[str, list[Run]] = {"queue": [], "random": []}
    for seed in range(seeds):
        for strategy in rows:
            rows[strategy].append(simulate(texts, labels, seed, strategy, budget, target, schedule))
            print(f"{name} seed {seed} {strategy}: {rows[strategy][-1]}", file=sys.stderr)
    classes = len(set(labels))
    lines = [
        f"**{name}** — {len(texts):,} texts, {classes} labels; {seeds} seeds; "
        f"accuracy on the held-out quarter (mean ± sd over seeds); labels to reach "
        f"{target:.0%} (median over seeds, then each seed; '>{budget}' = not reached).",
        "",
        "| strategy | "
        + " | ".join(f"{p} labels" for p in CHECKPOINTS)
        + f" | labels to {target:.0%} | … and to stay there |",
        "|---|" + "---:|" * (len(CHECKPOINTS) + 2),
    ]
    needed: dict[str, float] = {}
    kept: dict[str, float] = {}
    for strategy, results in rows.items():
        cells = []
        for point in CHECKPOINTS:
            values = [r.scores[point] for r in results if point in r.scores]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.3f} ± {sd:.3f}" if values else "—")
        reach = [r.reached if r.reached is not None else budget + 1 for r in results]
        needed[strategy] = statistics.median(reach)
        per_seed = ", ".join(str(r) if r <= budget else f">{budget}" for r in reach)
        shown = f">{budget}" if needed[strategy] > budget else f"{needed[strategy]:.0f}"
        held = [h if (h := r.holds(target)) is not None else budget + 1 for r in results]
        kept[strategy] = statistics.median(held)
        held_seeds = ", ".join(str(h) if h <= budget else f">{budget}" for h in held)
        kept_shown = f">{budget}" if kept[strategy] > budget else f"{kept[strategy]:.0f}"
        lines.append(
            f"| {strategy} | "
            + " | ".join(cells)
            + f" | {shown} ({per_seed}) | {kept_shown} ({held_seeds}) |"
        )
    ratio = needed["queue"] / needed["random"]
    firsts = [r.models[0] for r in rows["queue"] if r.models]
    before = [sum(1 for n in r.models if n <= 200) for r in rows["queue"]]
    lines += [
        "",
        f"Queue / random labels to {target:.0%}: **{ratio:.0%}**; to stay there: "
        f"**{kept['queue'] / kept['random']:.0%}**"
        + (" (bar: ≤ 60%)" if name.startswith("SMS") else "")
        + (
            " — random order never reached it, so this is an upper bound"
            if needed["random"] > budget
            else ""
        )
        + f". The queue's first model came after {min(firsts, default=0)}–"
        f"{max(firsts, default=0)} labels; {min(before, default=0)}–{max(before, default=0)} "
        f"models by 200 labels. Run time {time.perf_counter() - started:.0f} s.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=1000, help="Most labels a run asks for.")
    parser.add_argument("--data", choices=("sms", "wordnet", "both"), default="both")
    defaults = ProjectSettings()
    parser.add_argument(
        "--first",
        type=int,
        default=defaults.labels_before_first_model,
        help="labels_before_first_model (default: the service's)",
    )
    parser.add_argument(
        "--every",
        type=int,
        default=defaults.retrain_after_labels,
        help="retrain_after_labels (default: the service's)",
    )
    parser.add_argument(
        "--write", type=Path, help="Replace this script's section in a Markdown file."
    )
    args = parser.parse_args()
    schedule = ProjectSettings(
        labels_before_first_model=args.first, retrain_after_labels=args.every
    )
    sections = []
    if args.data in ("sms", "both"):
        sections.append(
            run("SMS spam (development data)", sms, args.seeds, args.budget, TARGET, schedule)
        )
    if args.data in ("wordnet", "both"):
        sections.append(
            run("WordNet nouns (5 categories)", wordnet, args.seeds, args.budget, 0.80, schedule)
        )
    body = "\n\n".join(
        [
            f"`python benchmarks/bench_labelling.py --seeds {args.seeds} "
            "--write docs/benchmarks.md`. One label at a time; the queue's model is trained "
            "when the service would train it (labels_before_first_model "
            f"{args.first}, retrain_after_labels {args.every}, the next model once the labels "
            "grew by a quarter); both strategies scored every 5 labels to 100, 10 to 200, 25 "
            "after; '… and to stay there': the first point from which every later one, to the "
            "last scored (400 labels, or the crossing when later), is at the target. The "
            "WordNet set's target is 80% (its ceiling is lower than SMS's).",
            *sections,
        ]
    )
    print(HEADING + "\n\n" + body)
    if args.write:
        if args.data != "both":
            sys.exit("--write needs --data both")
        write_section(args.write, HEADING, body)


if __name__ == "__main__":
    main()
