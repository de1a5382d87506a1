"""Posts, and an avatar for each user.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_posts_author_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    op.create_index("ix_posts_published_created_at", "posts", ["published", "created_at"])
    op.create_index("ix_posts_author_id_created_at", "posts", ["author_id", "created_at"])
    # plain ALTER TABLE (SQLite >= 3.35 has DROP COLUMN): batch mode would rebuild the table
    # and lose the lower(email) expression index, which it cannot reflect
    op.add_column("users", sa.Column("avatar", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "avatar")
    op.drop_index("ix_posts_author_id_created_at", table_name="posts")
    op.drop_index("ix_posts_published_created_at", table_name="posts")
    op.drop_table("posts")
