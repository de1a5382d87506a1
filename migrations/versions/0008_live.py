"""The change log of live pages (live_changes): how processes sharing a SQLite database tell
each other what changed (PostgreSQL uses NOTIFY; the table exists there too, unused).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_changes")),
    )


def downgrade() -> None:
    op.drop_table("live_changes")
