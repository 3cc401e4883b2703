"""Database tables: projects, and each project's model versions and their activation
history, predictions, feedback and background jobs; clients. Shared by the CLI, the API and
the worker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


class Project(Base):
    """One classifier: its labels and settings; everything else points at a project."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"name": "ham", "display": "not spam"}, …]; empty until the first model or labels.
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Per-project settings (service.projects.ProjectSettings), JSON so adding one needs no
    # migration; the service validates them.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _user_fk() -> Mapped[int | None]:
    """Who did it (None: the bootstrap admin token or an anonymous client). Users are never
    removed, only scrubbed, so the id always names someone; no foreign key, so adding the
    column rewrites no table."""
    return mapped_column(Integer, nullable=True)


class User(Base):
    """A person (or a program) that signs in; never deleted, so history stays attributed:
    deleting one scrubs the password and tokens and marks the row ``deleted_at``."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)  # lower case
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(Text, default="")
    is_admin: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Changing the password also ends the user's sessions (service/sessions.py).
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ProjectRole(Base):
    """A user's role on one project: viewer, annotator or maintainer."""

    __tablename__ = "project_roles"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))


class ApiToken(Base):
    """A user's API token, stored only as its SHA-256 (it has 256 random bits, so a fast
    hash is enough); ``prefix`` lets a person tell tokens apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class WebSession(Base):
    """A signed-in browser: the session cookie carries a random secret, stored here only as
    its SHA-256, so a session can be ended on the server (sign out, sign out everywhere, a
    new password, a disabled account) and a copy of the cookie stops working with it."""

    __tablename__ = "web_sessions"

    secret_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


def _project_fk() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), index=True)


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    backend: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    data_source: Mapped[str] = mapped_column(Text, default="")
    data_sha256: Mapped[str] = mapped_column(String(64), default="")
    data_rows: Mapped[int] = mapped_column(Integer, default=0)
    eval_split: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    library_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    artifact_path: Mapped[str] = mapped_column(Text)
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    artifact_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    train_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Retraining records what it trained on and how it compared with the active model.
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comparison: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")


class Activation(Base):
    """Append-only log; the newest row names the active version.

    ``undo_id`` points at the activation that was current before this one, so repeated
    rollbacks walk back through the history instead of toggling between two versions.
    """

    __tablename__ = "activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    model_id: Mapped[int] = mapped_column(Integer)
    previous_model_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    undo_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(16))  # activate | rollback | promote
    actor: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = _user_fk()
    reason: Mapped[str] = mapped_column(Text, default="")


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Prediction(Base):
    __tablename__ = "predictions"
    # Every index costs each stored prediction a B-tree write, and this table takes one
    # insert per classify call, so it keeps only what the API's lookups need: recent
    # results per client, time windows, and the (few) rows that have feedback.
    __table_args__ = (
        Index("ix_predictions_project_id_id", "project_id", "id"),
        Index("ix_predictions_client_id_id", "client_id", "id"),
        Index(
            "ix_predictions_feedback_label",
            "feedback_label",
            sqlite_where=text("feedback_label IS NOT NULL"),
            postgresql_where=text("feedback_label IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Indexed by ix_predictions_project_id_id; no foreign key: one more check per insert on
    # the hottest path, and the service deletes a project's predictions itself.
    project_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # None when only hashed
    text_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    confidence: Mapped[float] = mapped_column(Float)
    probabilities: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="api")
    # The current feedback, kept beside the prediction so lists filter without a join;
    # every change is also in the feedback table.
    feedback_label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    feedback_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prediction_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("predictions.id", ondelete="CASCADE"),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    label: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = _user_fk()


class Job(Base):
    __tablename__ = "jobs"
    # One queued-or-running job per kind and project, whatever the number of processes.
    __table_args__ = (
        Index(
            "uq_jobs_one_unfinished_per_kind",
            "project_id",
            "kind",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(
        String(16), index=True
    )  # queued|running|succeeded|failed|cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(200), default="")
    log: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    requested_by_id: Mapped[int | None] = _user_fk()
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    candidate_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # "host:pid" of the process running the job: a dead pid on this host means the job
    # was abandoned, without waiting for its heartbeat to go stale.
    worker: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Item(Base):
    """An unlabelled text imported for labelling, and what became of it.

    ``status`` is ``open`` until a person labels or skips it; an open item handed to someone
    is theirs until ``assigned_until`` (a lease), so two people never get the same item.
    ``rank`` orders the queue (lowest first): the labelling queue rewrites it whenever a new
    model is active (service/labelling.py).
    """

    __tablename__ = "items"
    __table_args__ = (
        Index("uq_items_project_text", "project_id", "text_sha256", unique=True),
        Index("ix_items_queue", "project_id", "status", "rank"),
        Index("ix_items_labelled", "project_id", "labelled_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(Integer, ForeignKey("projects.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    # The file's other columns (CSV/TSV) or fields (JSONL), kept and shown beside the text.
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|labelled|skipped
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Who labelled or skipped it: "admin:<name>" or "client:<cookie id>" today; a user id
    # ("user:<id>") once users exist.
    labelled_by: Mapped[str] = mapped_column(String(200), default="")
    labelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assigned_until: Mapped[datetime | None] = mapped_column(nullable=True)
    rank: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The active model's view of the item when the queue was last ranked.
    suggestion: Mapped[str | None] = mapped_column(String(200), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    scored_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
