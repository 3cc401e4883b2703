"""The model registry: every trained model is a version with its metadata and artifact.

Metadata lives in the shared database; artifacts are content-addressed files under
``TAGLOOP_HOME/artifacts``. An artifact is loaded only after its sha256 matches the one
recorded when tagloop wrote it, so a swapped or edited file is refused before any of it is
parsed.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import platform
import tempfile
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from tagloop.ml.backends import get_backend
from tagloop.ml.backends.base import Backend
from tagloop.ml.backends.errors import ArtifactError
from tagloop.ml.snapshots import snapshot_split
from tagloop.store import Store
from tagloop.store.models import Activation, ModelVersion, Project

if TYPE_CHECKING:
    from tagloop.ml.datasets import Dataset

LIBRARIES = ("tagloop", "scikit-learn", "numpy", "scipy", "torch", "flair")


class RegistryError(Exception):
    """A registry operation that cannot be done; the message says why."""


class NotFound(RegistryError):
    pass


class Conflict(RegistryError):
    pass


class IntegrityError(RegistryError):
    pass


def library_versions() -> dict[str, str]:
    return dict(_library_versions())


@cache
def _library_versions() -> dict[str, str]:
    """The versions this process runs (read once: each lookup scans the installed packages)."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Registry:
    """One project's model versions and activations (artifacts are shared by content)."""

    def __init__(self, store: Store, home: Path, project_id: int) -> None:
        self.store = store
        self.home = home
        self.project_id = project_id
        self.artifacts = home / "artifacts"

    # -- writing -------------------------------------------------------------------------

    def register(
        self,
        model: Backend,
        *,
        dataset: Dataset | None = None,
        eval_indices: Sequence[int] | None = None,
        **metadata: Any,
    ) -> ModelVersion:
        """Save ``model``'s artifact and record a new version (not activated).

        With ``dataset`` (and the indices of its held-out rows) the training and evaluation
        rows are snapshotted under the home and named in ``eval_split``, for retraining.
        """
        if dataset is not None:
            split = snapshot_split(self.home, dataset.texts, dataset.labels, eval_indices or [])
            metadata["eval_split"] = {**metadata.get("eval_split", {}), **split}
        path, digest, size = self._write_artifact(model)
        row = ModelVersion(
            project_id=self.project_id,
            backend=model.name,
            params=model.get_params(),
            labels=list(model.classes_),
            library_versions=library_versions(),
            artifact_path=os.fspath(path.relative_to(self.home)),
            artifact_sha256=digest,
            artifact_bytes=size,
            **metadata,
        )
        with self.store.transaction() as session:
            session.add(row)
            project = session.get(Project, self.project_id)
            if project is None:
                raise NotFound(f"project {self.project_id} does not exist")
            # The project's label set grows with what its models know.
            known = {item["name"] for item in project.labels or []}
            new = [{"name": c, "display": ""} for c in row.labels if c not in known]
            if new:
                project.labels = [*(project.labels or []), *new]
        return row

    def _write_artifact(self, model: Backend) -> tuple[Path, str, int]:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        os.chmod(self.artifacts, 0o700)
        fd, tmp_name = tempfile.mkstemp(dir=self.artifacts, prefix=".tmp-", suffix=".model")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            model.save(tmp)
            digest = sha256_file(tmp)
            final = self.artifacts / f"{model.name}-{digest[:20]}.model"
            os.chmod(tmp, 0o600)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final, digest, final.stat().st_size

    def activate(
        self,
        version_id: int,
        *,
        actor: str = "",
        reason: str = "",
        action: str = "activate",
        expect_active: int | None = None,
        user_id: int | None = None,
    ) -> Activation:
        """Make ``version_id`` active; with ``expect_active``, only if that one still is."""
        with self.store.transaction() as session:
            self._row(session, version_id)
            current = self._current(session)
            current_id = current.model_id if current else None
            if expect_active is not None and current_id != expect_active:
                raise Conflict(
                    f"version {expect_active} is no longer the active one "
                    f"(version {current_id} is): not activating {version_id}"
                )
            row = Activation(
                project_id=self.project_id,
                model_id=version_id,
                previous_model_id=current.model_id if current else None,
                undo_id=current.id if current else None,
                action=action,
                actor=actor,
                reason=reason,
                user_id=user_id,
            )
            session.add(row)
        return row

    def rollback(
        self, *, actor: str = "", reason: str = "", user_id: int | None = None
    ) -> Activation:
        """Go back to the version that was active before the current one."""
        with self.store.transaction() as session:
            current = self._current(session)
            if current is None or current.undo_id is None:
                raise Conflict("nothing to roll back to: no earlier active version")
            target = session.get(Activation, current.undo_id)
            assert target is not None
            if session.get(ModelVersion, target.model_id) is None:
                raise Conflict(f"cannot roll back: version {target.model_id} was deleted")
            row = Activation(
                project_id=self.project_id,
                model_id=target.model_id,
                previous_model_id=current.model_id,
                undo_id=target.undo_id,
                action="rollback",
                actor=actor,
                reason=reason,
                user_id=user_id,
            )
            session.add(row)
        return row

    def delete(self, version_id: int) -> None:
        with self.store.transaction() as session:
            row = self._row(session, version_id)
            current = self._current(session)
            if current is not None and current.model_id == version_id:
                raise Conflict(f"version {version_id} is active: activate another one first")
            shared = session.scalar(
                select(ModelVersion.id).where(
                    ModelVersion.artifact_path == row.artifact_path, ModelVersion.id != version_id
                )
            )
            session.execute(delete(ModelVersion).where(ModelVersion.id == version_id))
            path = self._artifact(row)
        if shared is None:
            path.unlink(missing_ok=True)

    # -- reading -------------------------------------------------------------------------

    def get(self, version_id: int) -> ModelVersion:
        with self.store.session() as session:
            return self._row(session, version_id)

    def _row(self, session: Any, version_id: int) -> ModelVersion:
        # Ids past 32 bits would make the driver raise instead of finding nothing.
        row = session.get(ModelVersion, version_id) if 0 < version_id < 2**31 else None
        if row is None or row.project_id != self.project_id:
            raise NotFound(f"model version {version_id} does not exist")
        return row

    def list(self) -> list[ModelVersion]:
        query = select(ModelVersion).where(ModelVersion.project_id == self.project_id)
        with self.store.session() as session:
            return list(session.scalars(query.order_by(ModelVersion.id.desc())))

    def active_id(self) -> int | None:
        with self.store.session() as session:
            current = self._current(session)
        return current.model_id if current else None

    def _current(self, session: Any) -> Activation | None:
        """The newest activation of this project names its active version."""
        query = (
            select(Activation)
            .where(Activation.project_id == self.project_id)
            .order_by(Activation.id.desc())
            .limit(1)
        )
        row: Activation | None = session.scalars(query).first()
        return row

    def active(self) -> ModelVersion | None:
        active_id = self.active_id()
        return None if active_id is None else self.get(active_id)

    def history(self, limit: int = 100) -> builtins.list[Activation]:
        with self.store.session() as session:
            query = (
                select(Activation)
                .where(Activation.project_id == self.project_id)
                .order_by(Activation.id.desc())
                .limit(limit)
            )
            return list(session.scalars(query))

    def load(self, row: ModelVersion) -> Backend:
        """Load a version's model after checking its artifact is the one tagloop wrote."""
        path = self._artifact(row)
        if not path.is_file():
            raise IntegrityError(f"version {row.id}: artifact {path} is missing")
        digest = sha256_file(path)
        if digest != row.artifact_sha256:
            raise IntegrityError(
                f"version {row.id}: artifact {path} has sha256 {digest[:12]}…, "
                f"registry recorded {row.artifact_sha256[:12]}… — refusing to load a changed file"
            )
        try:
            return get_backend(row.backend).load(path)
        except (ArtifactError, ValueError, KeyError, OSError) as exc:
            raise IntegrityError(
                f"version {row.id}: artifact {path} is not a model: {exc}"
            ) from exc

    def _artifact(self, row: ModelVersion) -> Path:
        """Where a version's artifact is; never outside the artifacts folder, whatever a
        database row says (loading and deleting both go through here)."""
        path = (self.home / row.artifact_path).resolve()
        if not path.is_relative_to(self.artifacts.resolve()):
            raise IntegrityError(
                f"version {row.id}: artifact path {path} is outside {self.artifacts}"
            )
        return path


def describe(row: ModelVersion, *, active_id: int | None = None) -> dict[str, Any]:
    """A version as plain JSON-ready data (CLI ``--json`` and the API share it)."""
    return {
        "id": row.id,
        "created_at": _iso(row.created_at),
        "active": row.id == active_id,
        "backend": row.backend,
        "params": row.params,
        "labels": row.labels,
        "data": {"source": row.data_source, "sha256": row.data_sha256, "rows": row.data_rows},
        "eval_split": row.eval_split,
        "metrics": row.metrics,
        "library_versions": row.library_versions,
        "artifact": {
            "path": row.artifact_path,
            "sha256": row.artifact_sha256,
            "bytes": row.artifact_bytes,
        },
        "train_seconds": row.train_seconds,
        "parent_id": row.parent_id,
        "description": row.description,
    }


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"
