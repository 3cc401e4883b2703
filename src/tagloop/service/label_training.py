"""The model follows the labels: labelling queues the project's training by itself.

* **First model**: once two labels have ``labels_before_first_model`` (default 8) labelled
  items each, a training job learns from every labelled item and activates the result.
* **Later models**: after every ``retrain_after_labels`` (default 50) further labels, a
  retraining job learns from the active model's data plus the pool of labels — labelled
  items and feedback on predictions alike (``ml.retrain.load_feedback``) — compares the
  candidate with the active model on held-out labels and promotes it by the project's
  policy (``service.policy``).
* **A new label** (added while labelling) that reaches ``labels_before_first_model``
  items is one the active model cannot predict: a fresh model is trained from all the labels
  and activated, as for the first one.

Each check is a few counts; it runs after every label and queues at most one job of a kind
(``service.jobs``). The worker re-ranks the queue with the new model when a job succeeds.
"""

from __future__ import annotations

from collections import Counter
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
    texts, labels = _labelled(core, project)
    return Dataset.from_rows(texts, labels, source=f"labels of {project.slug}")


def _labelled(core: Core, project: ProjectRef) -> tuple[list[str], list[str]]:
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
    """Queue the training the labels call for, if any; returns what was queued and why."""
    first = project.settings.labels_before_first_model
    every = project.settings.retrain_after_labels
    if unfinished(core.store, jobs.TRAIN, project.id) or unfinished(
        core.store, jobs.RETRAIN, project.id
    ):
        return None
    active = core.registry(project).active()
    counts = label_counts(core, project)
    ready = sorted(name for name, n in counts.items() if n >= first) if first > 0 else []
    try:
        if active is None or set(ready) - set(active.labels):
            if len(ready) < 2:
                return None
            reason = (
                "first model"
                if active is None
                else f"new labels {sorted(set(ready) - set(active.labels))}"
            )
            job = jobs.train_from_data(
                core,
                project,
                labelled_dataset(core, project),
                requested_by=REQUESTED_BY,
                activate=True,
                description=f"{reason}: {sum(counts.values())} labels "
                f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})",
            )
            return f"training job {job.id} ({reason})"
        if every <= 0:
            return None
        since = labels_since_last_model(core, project)
        if since < every:
            return None
        job = jobs.retrain(
            core,
            project,
            requested_by=REQUESTED_BY,
            reason=f"{since} labels since the last model (retrain_after_labels={every})",
        )
        return f"retraining job {job.id}"
    except (jobs.JobInProgress, Conflict):  # another request queued it first
        return None


def learning_curve(core: Core, project: ProjectRef) -> list[dict[str, Any]]:
    """Cross-validated accuracy and macro-F1 against the number of labels so far
    (``ml.learning_curve``); computed on request, a few seconds for a thousand labels."""
    return curve(*_labelled(core, project))
