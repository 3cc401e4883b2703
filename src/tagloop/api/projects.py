"""Projects: list, create, read, change and delete them (admin for changes), train a
project from an uploaded data file, and what a client needs to know about one at start."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from apiflask import APIBlueprint

from tagloop import __version__
from tagloop.api.auth import actor, caller, requires
from tagloop.api.context import core, project
from tagloop.api.errors import read_upload, upload
from tagloop.api.jobs import JobOut
from tagloop.api.schemas import (
    AccessOut,
    InfoOut,
    ProjectIn,
    ProjectList,
    ProjectOut,
    ProjectPatch,
    TrainForm,
)
from tagloop.ml.datasets import load_dataset
from tagloop.service import jobs, projects
from tagloop.service.access import Action, permissions
from tagloop.service.errors import ServiceError
from tagloop.service.job_state import describe_job

bp = APIBlueprint("projects", __name__, url_prefix="/api/v1", tag="Projects")
# Twinned like every per-project resource: /api/v1/info and /api/v1/projects/<p>/info.
info_bp = APIBlueprint("info", __name__, url_prefix="/api/v1", tag="Classify")
ADMIN: dict[str, Any] = {"security": "AdminToken"}


def _out(ref: projects.ProjectRef) -> projects.ProjectOut:
    return projects.describe(core().store, ref)


@bp.get("/projects")
@bp.output(ProjectList)
@bp.doc(summary="Every project, with its active version and volume")
@requires(Action.PUBLIC)
def list_projects() -> dict[str, Any]:
    """The projects the caller may see (a role, or anonymous classify allowed) by slug,
    each with its labels, settings, active version, number of predictions, feedback and
    agreement."""
    the_core, who = core(), caller()
    refs = [
        ref
        for ref in projects.list_all(the_core.store, the_core.settings)
        if who.can(Action.READ_INFO, ref)
    ]
    return {"items": projects.summaries(the_core.store, refs)}


@bp.post("/projects")
@bp.input(ProjectIn, arg_name="body")
@bp.output(ProjectOut, status_code=201)
@bp.doc(summary="Create a project (admin)", responses=[201, 409], **ADMIN)
@requires(Action.CREATE_PROJECT)
def create_project(body: dict[str, Any]) -> projects.ProjectOut:
    """A new, empty project: train its first version with ``POST …/train`` (a data file)."""
    the_core = core()
    ref = projects.create(
        the_core.store,
        the_core.settings,
        body["slug"],
        name=body["name"],
        description=body["description"],
        labels=body["labels"],
        project_settings=body["settings"],
    )
    return _out(ref)


@bp.get("/projects/<project>")
@bp.output(ProjectOut)
@bp.doc(summary="One project")
@requires(Action.READ_INFO)
def get_project() -> projects.ProjectOut:
    """A project with its labels, settings, active version and volume."""
    return _out(project())


@bp.patch("/projects/<project>")
@bp.input(ProjectPatch, arg_name="body")
@bp.output(ProjectOut)
@bp.doc(summary="Change a project's name, description, labels or settings (admin)", **ADMIN)
@requires(Action.CONFIGURE)
def patch_project(body: dict[str, Any]) -> projects.ProjectOut:
    """Only the fields sent change; settings merge with the stored ones."""
    the_core = core()
    ref = projects.update(
        the_core.store,
        the_core.settings,
        project(),
        name=body.get("name"),
        description=body.get("description"),
        labels=body.get("labels"),
        project_settings=body.get("settings"),
    )
    return _out(ref)


@bp.delete("/projects/<project>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a project and everything it holds (admin)", responses=[204, 409], **ADMIN)
@requires(Action.DELETE_PROJECT)
def delete_project() -> tuple[str, int]:
    """Its versions, artifacts, predictions, feedback and jobs go; the default project
    cannot be deleted."""
    the_core = core()
    ref = project()
    for path in projects.delete_project(the_core.store, the_core.settings, ref):
        (the_core.settings.home / path).unlink(missing_ok=True)
    the_core.models.forget(ref.id)
    return "", 204


@bp.post("/projects/<project>/train")
@bp.input(TrainForm, location="form_and_files", arg_name="form")
@bp.output(JobOut, status_code=202)
@bp.doc(
    summary="Train a new version from an uploaded labelled file (admin)",
    description="A CSV/TSV with a header, JSON Lines, or the SMS Spam Collection format "
    "(`label<TAB>text`). The file is checked here (a bad line is a 422 naming it), then a "
    "job trains the version; the project's first version becomes active.",
    responses=[202, 409, 422, 503],
    **ADMIN,
)
@upload
@requires(Action.TRAIN)
def train(form: dict[str, Any]) -> dict[str, Any]:
    """Queue training; follow the job at ``…/jobs/{id}``."""
    dataset, name = read_upload(
        form["file"],
        lambda path: load_dataset(
            path,
            format=form.get("format"),
            text_column=form["text_column"],
            label_column=form["label_column"],
        ),
    )
    job = jobs.train_from_data(
        core(),
        project(),
        replace(dataset, source=f"upload {name}"),
        requested_by=actor(),
        requested_by_id=caller().user_id,
        activate=form["activate"],
        description=form["description"] or f"trained on {name}",
    )
    return describe_job(job)


@info_bp.get("/info")
@info_bp.output(InfoOut)
@info_bp.doc(summary="The project, its active model, labels and limits (what a client needs)")
@requires(Action.READ_INFO)
def info() -> dict[str, Any]:
    """The active model's labels, their display names, the request limits, and the project."""
    the_core, ref = core(), project()
    cfg = the_core.settings
    try:
        served = the_core.models.served(ref.id, ref.slug)
    except ServiceError:
        served = None
    active = None
    labels = [label.name for label in ref.labels]
    if served is not None:
        labels = list(served.labels)
        active = {"id": served.version, "backend": served.backend, "labels": labels}
    return {
        "version": __version__,
        "active_model": active,
        "labels": labels,
        "label_names": {name: ref.display(name) for name in labels},
        "limits": {
            "max_text_length": cfg.max_text_length,
            "max_batch": cfg.max_batch,
            "max_explain_batch": cfg.max_explain_batch,
        },
        "store_text": cfg.store_text,
        "project": _out(ref),
    }


@info_bp.get("/access")
@info_bp.output(AccessOut)
@info_bp.doc(summary="What the caller may do on the project, and why not (the web app's buttons)")
@requires(Action.PUBLIC)
def access() -> dict[str, Any]:
    """Every action with whether the caller may do it, the role it needs and, when
    refused, the reason the server's refusal would give: what a client shows instead
    of keeping its own copy of the rule table."""
    who, ref = caller(), project()
    return {
        "role": who.role(ref).label,
        "signed_in": who.signed_in,
        "open": who.open,
        "actions": permissions(who, ref),
    }
