"""at most one queued-or-running job of each kind, enforced by the database

Checking for an unfinished job and then inserting one is a race when two servers (or a
request and the feedback trigger) submit at once; a partial unique index makes the second
insert fail instead, whatever the number of processes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNFINISHED = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    # A database that already lost the race keeps the oldest unfinished job of each kind.
    op.execute(
        "UPDATE jobs SET status = 'failed', error = 'another job of this kind was already "
        "queued or running' WHERE status IN ('queued', 'running') AND id NOT IN "
        "(SELECT MIN(id) FROM jobs WHERE status IN ('queued', 'running') GROUP BY kind)"
    )
    op.create_index(
        "uq_jobs_one_unfinished_per_kind",
        "jobs",
        ["kind"],
        unique=True,
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_one_unfinished_per_kind", table_name="jobs")
