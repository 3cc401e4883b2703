"""Server CPU per batch of 1,000, this checkout against a git revision, alternating.

Each round starts a fresh ``tagloop serve`` (2 workers, 256 threads, as the side-by-side
run) for each side on one home and model, runs wrk -c4 with the side-by-side run's batch,
and reports the workers' CPU per batch: the figure other load on the machine moves least.
"Before" runs the revision's ``src`` (``git archive``) on ``PYTHONPATH``.

    python benchmarks/bench_batch.py --before main --rounds 4 --seconds 8
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_api import ROOT, SHARED_DATA, Server, load_texts, post_script, prepare
from side_by_side import _measure


def export(revision: str, folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="Git revision to compare with.")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sides = {args.before: str(export(args.before, folder)), "this checkout": str(ROOT / "src")}
        home = folder / "home"
        home.mkdir()
        prepare(home, args.data)
        script = post_script({"texts": load_texts(args.data, 1000)})
        for r in range(args.rounds):
            for name, source in sides.items():
                os.environ["PYTHONPATH"] = source
                server = Server(home, 2, 256)
                try:
                    url = server.url + "/api/v1/classify"
                    res = _measure(url, args.seconds, server.process.pid, script, connections=4)
                finally:
                    server.stop()
                print(
                    f"round {r} {name:>14}: server CPU {res.cpu_ms:5.1f} ms per batch, "
                    f"{res.rps * 1000:8,.0f} messages/s, non-2xx {res.non_2xx}, "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    sys.exit(main())
