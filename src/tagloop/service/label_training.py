"""The model follows the labels: labelling queues the project's training by itself.

* **First model**: once two labels have ``labels_before_first_model`` (default 8) labelled
  items each, a training job learns from every labelled item and activates the result.
* **Later models**: early models are retrained often and later ones less — the next model
  is due once the labels have grown by a quarter since the last one (at least
  ``MIN_STEP``), and at the latest after ``retrain_after_labels`` (default 50) further
  labels (``labels_before_next_model``). A model trained on 8 labels is cheap to replace
  and changes most with each label; one trained on 2,000 changes little with 50 more.
  While the active model is one the labelling activated itself, the next one is trained
  the same way, from every labelled item, and activated (its queue order is what the
  labels are for). Once a person activated or promoted another model, the scheduled
  model is a retraining instead: the active model's data plus the pool of labels —
  labelled items and feedback on predictions alike (``ml.retrain.load_feedback``) —
  compared with the active model on held-out labels and promoted by the project's policy
  (``service.policy``).
* **A new label** (added while labelling) that reaches ``labels_before_first_model``
  items is one the active model cannot predict: a fresh model is trained from all the labels
  and activated, as for the first one.

* **Before any model** the labels still order the queue: once two labels have an item, and
  each time the labels grew by a quarter since (``ranking_due``), a ``rank`` job has the
  worker re-rank the queue by a quick scorer fitted on them (``ml.selection``), so the
  items the first model needs are found sooner.

Each check is a few counts; it runs after every label and queues at most one job of a kind
(``service.jobs``). The worker re-ranks the queue with the new model when a job succeeds.
``next_model`` and ``ranking_due`` are the whole schedule as pure functions:
``benchmarks/bench_labelling.py`` simulates a person labelling with them.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from tagloop.ml.datasets import Dataset
from tagloop.ml.learning_curve import learning_curve as curve
from tagloop.service import jobs
from tagloop.service.core import Core
from tagloop.service.errors import Conflict
from tagloop.service.job_state import unfinished
from tagloop.service.projects import ProjectRef
from tagloop.store.models import Item, Job, ModelVersion

REQUESTED_BY = "auto (labelling)"
GROWTH = 0.25  # the next model is due once the labels grew by this share...
MIN_STEP = 5  # ...and at least this many


@dataclass(frozen=True)
class Due:
    """The model the labels call for: ``fresh`` (trained from the labels alone and
    activated) or a retraining of the active model; ``reason`` says why."""

    fresh: bool
    reason: str


def labels_before_next_model(trained_on: int, every: int) -> int:
    """Labels after a model that learnt from ``trained_on`` labels until the next is due."""
    return max(1, min(every, max(MIN_STEP, math.ceil(trained_on * GROWTH))))


def next_model(
    counts: Mapping[str, int],
    active_labels: Collection[str] | None,
    since: int,
    first: int,
    every: int,
) -> Due | None:
    """The schedule (see the module docstring): ``counts`` labelled items per label,
    ``active_labels`` the active model's labels (None before any model), ``since`` the
    labels given since the last model's training started."""
    ready = sorted(name for name, n in counts.items() if n >= first) if first > 0 else []
    if active_labels is None or set(ready) - set(active_labels):
        if len(ready) < 2:
            return None
        if active_labels is None:
            return Due(True, "first model")
        return Due(True, f"new labels {sorted(set(ready) - set(active_labels))}")
    if every <= 0:
        return None
    trained_on = sum(counts.values()) - since
    step = labels_before_next_model(trained_on, every)
    if since < step:
        return None
    return Due(False, f"{since} labels since the last model, which learnt from {trained_on}")


def labels_before_next_ranking(ranked_on: int) -> int:
    """Labels after a ranking by ``ranked_on`` labels until the next ranking is due."""
    return max(1, math.ceil(ranked_on * GROWTH))


def ranking_due(
    counts: Mapping[str, int], active_labels: Collection[str] | None, ranked_on: int
) -> bool:
    """Before any model: whether the queue is due a ranking by the labels so far
    (``ml.selection.order_by_labels``) — once two labels have an item, then each time the
    labels grew by a quarter (at least one) since ``ranked_on``. With a model, its own
    ranking follows each model instead."""
    if active_labels is not None or sum(1 for n in counts.values() if n > 0) < 2:
        return False
    return sum(counts.values()) >= ranked_on + labels_before_next_ranking(ranked_on)


def label_counts(core: Core, project: ProjectRef) -> Counter[str]:
    with core.store.session() as session:
        rows = session.execute(
            select(Item.label, func.count())
            .where(Item.project_id == project.id, Item.status == "labelled")
            .group_by(Item.label)
        ).all()
    return Counter({str(label): int(n) for label, n in rows})


def labelled_dataset(core: Core, project: ProjectRef) -> Dataset:
    """Every labelled item of the project, oldest label first."""
    texts, labels = labelled(core, project)
    return Dataset.from_rows(texts, labels, source=f"labels of {project.slug}")


def labelled(core: Core, project: ProjectRef) -> tuple[list[str], list[str]]:
    with core.store.session() as session:
        rows = session.execute(
            select(Item.text, Item.label)
            .where(Item.project_id == project.id, Item.status == "labelled")
            .order_by(Item.labelled_at, Item.id)
        ).all()
    return [t for t, _ in rows], [str(y) for _, y in rows]


def labels_since_last_model(core: Core, project: ProjectRef) -> int:
    with core.store.session() as session:
        since = session.scalar(
            select(func.max(Job.created_at)).where(
                Job.project_id == project.id, Job.kind.in_((jobs.RETRAIN, jobs.TRAIN))
            )
        ) or session.scalar(
            select(func.max(ModelVersion.created_at)).where(ModelVersion.project_id == project.id)
        )
        query = select(func.count(Item.id)).where(
            Item.project_id == project.id, Item.status == "labelled"
        )
        if since is not None:
            query = query.where(Item.labelled_at > since)
        return int(session.scalar(query) or 0)


def after_label(core: Core, project: ProjectRef) -> str | None:
    """Queue the training the labels call for, if any, and returns what was queued and why;
    before any model, else a ranking of the queue by the labels when one is due (not
    returned: it is no model)."""
    if unfinished(core.store, jobs.TRAIN, project.id) or unfinished(
        core.store, jobs.RETRAIN, project.id
    ):
        return None
    registry = core.registry(project)
    active = registry.active()
    active_labels = None if active is None else active.labels
    counts = label_counts(core, project)
    due = next_model(
        counts,
        active_labels,
        labels_since_last_model(core, project),
        project.settings.labels_before_first_model,
        project.settings.retrain_after_labels,
    )
    if due is None:
        if ranking_due(counts, active_labels, jobs.last_ranking(core, project)):
            # One queued or running already: it will rank by the labels it finds.
            with contextlib.suppress(jobs.JobInProgress, Conflict):
                jobs.rank(core, project, sum(counts.values()), requested_by=REQUESTED_BY)
        return None
    latest = registry.history(limit=1)
    ours = bool(latest) and latest[0].actor == REQUESTED_BY
    try:
        if due.fresh or ours:
            job = jobs.train_from_data(
                core,
                project,
                labelled_dataset(core, project),
                requested_by=REQUESTED_BY,
                activate=True,
                description=f"{due.reason}: {sum(counts.values())} labels "
                f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})",
            )
            return f"training job {job.id} ({due.reason})"
        job = jobs.retrain(
            core,
            project,
            requested_by=REQUESTED_BY,
            reason=f"{due.reason} (retrain_after_labels={project.settings.retrain_after_labels})",
        )
        return f"retraining job {job.id}"
    except (jobs.JobInProgress, Conflict):  # another request queued it first
        return None


def learning_curve(core: Core, project: ProjectRef) -> list[dict[str, Any]]:
    """Cross-validated accuracy and macro-F1 against the number of labels so far
    (``ml.learning_curve``); computed on request, a few seconds for a thousand labels."""
    return curve(*labelled(core, project))
