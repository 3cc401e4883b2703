"""Content-addressed copies of the rows a model was trained and evaluated on.

Retraining needs the data the active model learned from long after the original file has
moved or changed, and a fair comparison needs the exact rows it is compared on. So when a
version is registered its training rows (all of its data) go to
``TAGLOOP_HOME/datasets/<sha256>.jsonl`` and its fixed comparison set (a part of them, see
``compare.py``) to ``TAGLOOP_HOME/evalsets/<sha256>.jsonl``, named by the sha256 of the file's
bytes and written atomically (temporary file, then rename). The version's ``eval_split``
records both paths (relative to the home) and hashes; a file whose hash no longer matches is
refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRAIN_DIR = "datasets"
EVAL_DIR = "evalsets"


class SnapshotError(Exception):
    """A snapshot that is missing or whose content changed."""


@dataclass(frozen=True)
class Rows:
    """Labelled texts, in order."""

    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def empty(cls) -> Rows:
        return cls([], [])


def _encode(rows: Rows) -> bytes:
    return b"".join(
        json.dumps({"text": t, "label": y}, ensure_ascii=False).encode() + b"\n"
        for t, y in zip(rows.texts, rows.labels, strict=True)
    )


def write_snapshot(home: Path, folder: str, rows: Rows) -> dict[str, Any]:
    """Write ``rows`` once under ``home/folder``; returns ``{"path", "sha256", "rows"}``."""
    data = _encode(rows)
    digest = hashlib.sha256(data).hexdigest()
    directory = home / folder
    final = directory / f"{digest}.jsonl"
    if not final.is_file():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".jsonl")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return {"path": f"{folder}/{final.name}", "sha256": digest, "rows": len(rows)}


def read_snapshot(home: Path, record: dict[str, Any]) -> Rows:
    """Read a snapshot named by a ``write_snapshot`` record, after checking its hash."""
    path = (home / str(record.get("path", ""))).resolve()
    if not path.is_relative_to(home.resolve()) or not path.is_file():
        raise SnapshotError(f"snapshot {record.get('path')!r} is missing from {home}")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != record.get("sha256"):
        raise SnapshotError(f"snapshot {path} has changed (sha256 {digest[:12]}…): refusing it")
    texts, labels = [], []
    for line in data.splitlines():
        row = json.loads(line)
        texts.append(row["text"])
        labels.append(row["label"])
    return Rows(texts, labels)


def snapshot_split(
    home: Path, texts: Sequence[str], labels: Sequence[str], eval_indices: Sequence[int]
) -> dict[str, Any]:
    """Snapshot every row (the model trained on all of them) and the comparison set
    ``eval_indices``; returns the keys to merge into ``eval_split``."""
    held_out = set(int(i) for i in eval_indices)
    train = Rows(list(texts), list(labels))
    evaluation = Rows([texts[i] for i in sorted(held_out)], [labels[i] for i in sorted(held_out)])
    record = write_snapshot(home, EVAL_DIR, evaluation)
    return {
        "path": record["path"],
        "sha256": record["sha256"],
        "train_data": write_snapshot(home, TRAIN_DIR, train),
    }
