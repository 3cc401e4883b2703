"""projects: every model version, activation, prediction and job belongs to one

An installation made before projects becomes one project, ``default`` (or
``TAGLOOP_DEFAULT_PROJECT``), holding all its data; its label set is the newest model
version's. Predictions get the column without a table rewrite (it can be large) and no
foreign key (the service deletes a project's predictions itself); the small tables are
rebuilt on SQLite to carry the foreign key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 22:30:00
"""

import json
import os

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNFINISHED = sa.text("status IN ('queued', 'running')")
OWNED = ("model_versions", "activations", "jobs")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    bind = op.get_bind()
    has_data = any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first()  # noqa: S608 - constant
        for table in (*OWNED, "predictions")
    )
    if has_data:
        newest = bind.execute(
            sa.text("SELECT labels FROM model_versions ORDER BY id DESC LIMIT 1")
        ).first()
        labels = newest[0] if newest else []
        if isinstance(labels, str):
            labels = json.loads(labels)
        slug = os.environ.get("TAGLOOP_DEFAULT_PROJECT") or "default"
        bind.execute(
            sa.text(
                "INSERT INTO projects (id, slug, name, description, labels, settings, created_at)"
                " VALUES (1, :slug, :name, :description, :labels, '{}', CURRENT_TIMESTAMP)"
            ),
            {
                "slug": slug,
                "name": "Default",
                "description": "Everything this installation held before projects existed.",
                "labels": json.dumps([{"name": str(x), "display": ""} for x in labels]),
            },
        )
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text("SELECT setval('projects_id_seq', 1)"))

    # Every existing row belongs to project 1 (the default one just made, if any rows exist).
    op.add_column(
        "predictions", sa.Column("project_id", sa.Integer(), nullable=False, server_default="1")
    )
    op.create_index("ix_predictions_project_id_id", "predictions", ["project_id", "id"])
    op.drop_index("uq_jobs_one_unfinished_per_kind", table_name="jobs")
    for table in OWNED:
        op.add_column(
            table, sa.Column("project_id", sa.Integer(), nullable=False, server_default="1")
        )
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.create_index(f"ix_{table}_project_id", ["project_id"])
            batch.create_foreign_key(
                f"fk_{table}_project_id", "projects", ["project_id"], ["id"], ondelete="CASCADE"
            )
    if bind.dialect.name == "postgresql":
        for table in (*OWNED, "predictions"):
            op.alter_column(table, "project_id", server_default=None)
    op.create_index(
        "uq_jobs_one_unfinished_per_kind",
        "jobs",
        ["project_id", "kind"],
        unique=True,
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_one_unfinished_per_kind", table_name="jobs")
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_project_id", type_="foreignkey")
            batch.drop_index(f"ix_{table}_project_id")
            batch.drop_column("project_id")
    op.drop_index("ix_predictions_project_id_id", table_name="predictions")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("project_id")
    op.create_index(
        "uq_jobs_one_unfinished_per_kind",
        "jobs",
        ["kind"],
        unique=True,
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )
    op.drop_table("projects")
