"""Projects: one classifier each — its labels, settings, versions, predictions and jobs.

A project is named by its slug in URLs and on the command line. The default project
(``TAGLOOP_DEFAULT_PROJECT``, ``default``) is the one the un-prefixed API routes, the
tutorial's endpoints and commands without ``--project`` use; it always exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Integer, cast, delete, func, select
from sqlalchemy.exc import IntegrityError

from tagloop.config import Settings
from tagloop.service.errors import Conflict, Invalid, NotFound
from tagloop.store import Store
from tagloop.store.models import (
    Activation,
    Item,
    Job,
    ModelVersion,
    Prediction,
    Project,
    ProjectRole,
    utcnow,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PROMOTE_METRICS = ("", "accuracy", "macro_f1", "mcc", "log_loss", "ece", "brier")
MAX_LABELS = 100

# Bumped by every change this process makes to a project, so a cached ``ProjectRef`` (see
# ``Core.project``) is never stale inside the process that changed it; other processes see
# the change within the cache's lifetime (``TAGLOOP_MODEL_POLL_SECONDS``).
_changes = 0


def changes() -> int:
    return _changes


def _changed() -> None:
    global _changes
    _changes += 1


@dataclass(frozen=True)
class ProjectSettings:
    """Per-project settings; a project that never set one follows the server's default
    (the ``TAGLOOP_*`` variable of the same name)."""

    auto_retrain_after: int = 0
    auto_promote_metric: str = ""
    auto_promote_margin: float = 0.0
    retention_days: int = 0
    # What callers who are not signed in may do here (service.access.ANONYMOUS);
    # anonymous_classify is on for the default project only, unless set.
    anonymous_classify: bool = True
    # label -> weight of an error on it, for every training of the project (``tagloop train
    # --cost`` overrides); checked against the data's labels when a model is trained.
    costs: dict[str, float] = field(default_factory=dict)
    # Labelling (service/label_training.py): the first model is trained once two labels
    # have this many examples each; later ones after this many further labels. 0: never.
    labels_before_first_model: int = 8
    retrain_after_labels: int = 50
    anonymous_feedback: bool = False

    @classmethod
    def defaults(cls, settings: Settings) -> ProjectSettings:
        return cls(
            auto_retrain_after=settings.auto_retrain_after,
            auto_promote_metric=settings.auto_promote_metric,
            auto_promote_margin=settings.auto_promote_margin,
            retention_days=settings.retention_days,
        )

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def check_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial settings mapping; returns it with known keys only."""
    known = {f.name: f.type for f in fields(ProjectSettings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise Invalid(
            f"unknown project setting {', '.join(map(repr, unknown))} (known: {', '.join(known)})",
            code="unknown_setting",
        )
    checked: dict[str, Any] = {}
    for name, value in values.items():
        kind = known[name]
        ok = {
            "int": isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31,
            "float": isinstance(value, int | float) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "str": isinstance(value, str),
            "dict[str, float]": isinstance(value, dict) and _weights(value),
        }[str(kind)]
        if not ok:
            raise Invalid(f"setting {name!r}: expected {kind}, got {value!r}")
        checked[name] = value
    metric = checked.get("auto_promote_metric")
    if metric is not None and metric not in PROMOTE_METRICS:
        raise Invalid(
            f"setting 'auto_promote_metric': {metric!r} is not one of "
            f"{', '.join(repr(m) for m in PROMOTE_METRICS)}"
        )
    margin = checked.get("auto_promote_margin")
    if margin is not None and not 0.0 <= margin <= 1.0:
        raise Invalid(f"setting 'auto_promote_margin': {margin} is not between 0 and 1")
    return checked


def _weights(value: dict[Any, Any]) -> bool:
    """Label names to positive, finite weights (whether the labels exist is checked when a
    model is trained, against its data)."""
    return all(
        isinstance(k, str)
        and isinstance(w, int | float)
        and not isinstance(w, bool)
        and 0 < w < float("inf")
        for k, w in value.items()
    )


@dataclass(frozen=True)
class Label:
    name: str
    display: str


@dataclass(frozen=True)
class ProjectRef:
    """A project as the core passes it around (a snapshot of its row)."""

    id: int
    slug: str
    name: str
    description: str
    labels: tuple[Label, ...]
    settings: ProjectSettings
    created_at: datetime
    stored_settings: dict[str, Any] = field(default_factory=dict)

    def display(self, label: str) -> str:
        for item in self.labels:
            if item.name == label:
                return item.display
        return label


class LabelOut(TypedDict):
    name: str
    display: str


class ProjectOut(TypedDict):
    slug: str
    name: str
    description: str
    labels: list[LabelOut]
    created_at: str
    settings: dict[str, Any]
    active_version: int | None
    predictions: int
    feedback: int
    agreement_rate: float | None


def _ref(row: Project, settings: Settings) -> ProjectRef:
    stored = dict(row.settings or {})
    # Anonymous clients may classify on the default project (the tutorial's flow) unless
    # it says otherwise; on any other project only once it says so.
    defaults = replace(
        ProjectSettings.defaults(settings),
        anonymous_classify=row.slug == settings.default_project,
    )
    resolved = replace(defaults, **check_settings(stored))
    names = settings.label_names
    labels = tuple(
        Label(str(item["name"]), str(item.get("display") or names.get(item["name"], item["name"])))
        for item in row.labels or []
    )
    return ProjectRef(
        id=row.id,
        slug=row.slug,
        name=row.name or row.slug,
        description=row.description,
        labels=labels,
        settings=resolved,
        created_at=row.created_at,
        stored_settings=stored,
    )


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise Invalid(
            f"project name {slug!r} is not valid: 1-64 lowercase letters, digits and '-', "
            "starting with a letter or digit",
            code="invalid_project_name",
        )
    return slug


def check_labels(labels: list[Any]) -> list[dict[str, str]]:
    """Labels as ``[{"name", "display"}]`` from names or objects; names non-blank. A name
    given again keeps its first place and takes the later display name (as a repeated key
    in a JSON object does), so the result has each name once."""
    out: dict[str, dict[str, str]] = {}
    for item in labels:
        name, display = (
            (item, "") if isinstance(item, str) else (item.get("name"), item.get("display", ""))
        )
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise Invalid(f"label {name!r} is not valid: 1-200 characters, not blank")
        if not isinstance(display, str) or len(display) > 200:
            raise Invalid(f"label {name!r}: display name must be text of at most 200 characters")
        if name in out and not display:
            continue  # a bare repeat changes nothing
        out[name] = {"name": name, "display": display}
    if len(out) > MAX_LABELS:
        raise Invalid(f"too many labels: {len(out)} (the limit is {MAX_LABELS})")
    return list(out.values())


def get(store: Store, settings: Settings, slug: str) -> ProjectRef:
    with store.session() as session:
        row = session.scalar(select(Project).where(Project.slug == slug))
    if row is None:
        raise NotFound(f"project {slug!r} does not exist", code="project_not_found")
    return _ref(row, settings)


def get_by_id(store: Store, settings: Settings, project_id: int) -> ProjectRef:
    with store.session() as session:
        row = session.get(Project, project_id)
    if row is None:
        raise NotFound(f"project {project_id} does not exist", code="project_not_found")
    return _ref(row, settings)


def list_all(store: Store, settings: Settings) -> list[ProjectRef]:
    with store.session() as session:
        rows = session.scalars(select(Project).order_by(Project.slug)).all()
    return [_ref(row, settings) for row in rows]


def create(
    store: Store,
    settings: Settings,
    slug: str,
    *,
    name: str = "",
    description: str = "",
    labels: list[Any] | None = None,
    project_settings: dict[str, Any] | None = None,
) -> ProjectRef:
    row = Project(
        slug=check_slug(slug),
        name=name.strip() or slug,
        description=description,
        labels=check_labels(labels or []),
        settings=check_settings(project_settings or {}),
        created_at=utcnow(),
    )
    try:
        with store.transaction() as session:
            session.add(row)
    except IntegrityError as exc:
        raise Conflict(f"project {slug!r} already exists", code="project_exists") from exc
    return _ref(row, settings)


def ensure_default(store: Store, settings: Settings) -> ProjectRef:
    """The default project, made on first use of a fresh installation."""
    slug = settings.default_project
    try:
        return get(store, settings, slug)
    except NotFound:
        pass
    try:
        return create(store, settings, slug, name="Default")
    except Conflict:  # another process made it meanwhile
        return get(store, settings, slug)


def update(
    store: Store,
    settings: Settings,
    project: ProjectRef,
    *,
    name: str | None = None,
    description: str | None = None,
    labels: list[Any] | None = None,
    project_settings: dict[str, Any] | None = None,
) -> ProjectRef:
    with store.transaction() as session:
        row = session.get(Project, project.id)
        if row is None:
            raise NotFound(f"project {project.slug!r} does not exist", code="project_not_found")
        if name is not None:
            row.name = name.strip() or row.slug
        if description is not None:
            row.description = description
        if labels is not None:
            new = check_labels(labels)
            missing = sorted({x["name"] for x in row.labels or []} - {x["name"] for x in new})
            in_use = _labels_in_use(session, project.id)
            dropped = [label for label in missing if label in in_use]
            if dropped:
                raise Conflict(
                    f"labels {', '.join(map(repr, dropped))} are used by the project's models, "
                    "feedback or labelled items and cannot be removed (rename their display "
                    "names instead)",
                    code="label_in_use",
                )
            row.labels = new
        if project_settings is not None:
            row.settings = {**(row.settings or {}), **check_settings(project_settings)}
    _changed()
    return get(store, settings, project.slug)


def add_labels(store: Store, project: ProjectRef, names: list[str], *, display: str = "") -> None:
    """Add labels a model or a label set brings that the project does not list yet."""
    known = {label.name for label in project.labels}
    new = [name for name in names if name not in known]
    if not new:
        return
    with store.transaction() as session:
        row = session.get(Project, project.id)
        if row is None:
            return
        have = {x["name"] for x in row.labels or []}
        row.labels = [
            *(row.labels or []),
            *({"name": n, "display": display} for n in new if n not in have),
        ]
    _changed()


def _labels_in_use(session: Any, project_id: int) -> set[str]:
    used: set[str] = set()
    for labels in session.scalars(
        select(ModelVersion.labels).where(ModelVersion.project_id == project_id)
    ):
        used.update(labels or [])
    used.update(
        session.scalars(
            select(Prediction.feedback_label)
            .where(Prediction.project_id == project_id, Prediction.feedback_label.is_not(None))
            .distinct()
        )
    )
    used.update(
        session.scalars(
            select(Item.label)
            .where(Item.project_id == project_id, Item.label.is_not(None))
            .distinct()
        )
    )
    return used


def delete_project(store: Store, settings: Settings, project: ProjectRef) -> list[str]:
    """Delete a project and everything it owns; returns the artifact paths (relative to the
    home) that no other project's versions use, for the caller to remove."""
    if project.slug == settings.default_project:
        raise Conflict(
            f"project {project.slug!r} is the default project (TAGLOOP_DEFAULT_PROJECT) and "
            "cannot be deleted",
            code="default_project",
        )
    with store.transaction() as session:
        paths = set(
            session.scalars(
                select(ModelVersion.artifact_path).where(ModelVersion.project_id == project.id)
            )
        )
        shared = set(
            session.scalars(
                select(ModelVersion.artifact_path).where(
                    ModelVersion.project_id != project.id, ModelVersion.artifact_path.in_(paths)
                )
            )
        )
        # Feedback goes with its predictions (ON DELETE CASCADE).
        session.execute(delete(Prediction).where(Prediction.project_id == project.id))
        for table in (Job, Activation, ModelVersion, ProjectRole):
            session.execute(delete(table).where(table.project_id == project.id))
        session.execute(delete(Project).where(Project.id == project.id))
    _changed()
    return sorted(paths - shared)


def describe(store: Store, project: ProjectRef) -> ProjectOut:
    """A project with its active version and volume, as the API and CLI show it."""
    return summaries(store, [project])[0]


def summaries(store: Store, projects: list[ProjectRef]) -> list[ProjectOut]:
    ids = [p.id for p in projects]
    agreed = func.sum(cast(Prediction.feedback_label == Prediction.label, Integer))
    with store.session() as session:
        volume = {
            pid: (n, f, a)
            for pid, n, f, a in session.execute(
                select(
                    Prediction.project_id,
                    func.count(),
                    func.count(Prediction.feedback_label),
                    agreed,
                )
                .where(Prediction.project_id.in_(ids))
                .group_by(Prediction.project_id)
            )
        }
        newest = (
            select(func.max(Activation.id))
            .where(Activation.project_id.in_(ids))
            .group_by(Activation.project_id)
        )
        active = dict(
            session.execute(
                select(Activation.project_id, Activation.model_id).where(Activation.id.in_(newest))
            ).all()
        )
    out: list[ProjectOut] = []
    for p in projects:
        n, f, a = volume.get(p.id, (0, 0, 0))
        out.append(
            {
                "slug": p.slug,
                "name": p.name,
                "description": p.description,
                "labels": [{"name": x.name, "display": x.display} for x in p.labels],
                "created_at": p.created_at.isoformat(timespec="seconds") + "Z",
                "settings": p.settings.as_dict(),
                "active_version": active.get(p.id),
                "predictions": int(n),
                "feedback": int(f),
                "agreement_rate": int(a or 0) / f if f else None,
            }
        )
    return out
