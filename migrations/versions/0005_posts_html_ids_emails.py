"""Rendered posts.

- posts.html and posts.excerpt: each post's body rendered once (core.markdown), filled here
  batch by batch for the posts that exist, so that page views never render Markdown.

Downgrading drops the rendered columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from core.markdown import render_post

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 200


def _fill_rendered_posts() -> None:
    posts = sa.table(
        "posts", sa.column("id", sa.Integer), sa.column("body", sa.Text), sa.column("html", sa.Text),
        sa.column("excerpt", sa.String),
    )  # fmt: skip
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(posts.c.id, posts.c.body).where(posts.c.id > last).order_by(posts.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        # no time limit here: every existing post gets its HTML, however long it takes
        values = []
        for row in rows:
            rendered = render_post(row.body, time_limit=float("inf"))
            values.append({"row_id": row.id, "html": rendered.html, "excerpt": rendered.excerpt})
        bind.execute(
            posts.update()
            .where(posts.c.id == sa.bindparam("row_id"))
            .values(html=sa.bindparam("html"), excerpt=sa.bindparam("excerpt")),
            values,
        )
        last = rows[-1].id


def upgrade() -> None:
    op.add_column("posts", sa.Column("html", sa.Text(), nullable=True))
    op.add_column("posts", sa.Column("excerpt", sa.String(length=255), nullable=True))
    _fill_rendered_posts()
    with op.batch_alter_table("posts", reflect_kwargs={"resolve_fks": False}) as batch:
        batch.alter_column("html", existing_type=sa.Text(), nullable=False)
        batch.alter_column("excerpt", existing_type=sa.String(length=255), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("posts", reflect_kwargs={"resolve_fks": False}) as batch:
        batch.drop_column("excerpt")
        batch.drop_column("html")
