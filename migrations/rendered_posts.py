"""Render every stored post's body again (core.markdown) into its html and excerpt columns,
batch by batch: migrations whose rendering rules changed call this (0005, 0006)."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.markdown import render_post

BATCH = 200
POSTS = sa.table(
    "posts", sa.column("id", sa.Integer), sa.column("body", sa.Text), sa.column("html", sa.Text),
    sa.column("excerpt", sa.String),
)  # fmt: skip


def render_all(bind: Connection, batch: int = BATCH) -> None:
    last = 0
    while True:
        rows = bind.execute(
            sa.select(POSTS.c.id, POSTS.c.body).where(POSTS.c.id > last).order_by(POSTS.c.id).limit(batch)
        ).all()
        if not rows:
            return
        # no time limit here: every existing post gets its HTML, however long it takes
        values = []
        for row in rows:
            rendered = render_post(row.body, time_limit=float("inf"))
            values.append({"row_id": row.id, "html": rendered.html, "excerpt": rendered.excerpt})
        bind.execute(
            POSTS.update()
            .where(POSTS.c.id == sa.bindparam("row_id"))
            .values(html=sa.bindparam("html"), excerpt=sa.bindparam("excerpt")),
            values,
        )
        last = rows[-1].id
