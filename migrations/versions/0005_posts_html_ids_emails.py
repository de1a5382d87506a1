"""Rendered posts, ids never reused on SQLite, emails in their canonical form.

- posts.html and posts.excerpt: each post's body rendered once (core.markdown), filled here
  batch by batch for the posts that exist, so that page views never render Markdown.
- SQLite: users, posts, sessions and auth_events are rebuilt with AUTOINCREMENT, so a deleted
  row's id is never handed out again (PostgreSQL sequences already never reuse one).
- users.email in its canonical form (dal.emails). When two accounts turn out to share a
  mailbox, both are kept: the address of the one that cannot take the canonical form (it is
  held by the other, or by an older account of the same mailbox) is left as it is, and logged.

Downgrading drops the rendered columns and AUTOINCREMENT; emails stay canonical (the spelling
they had before is not kept, and the canonical form is valid under the old rules too).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import logging

import sqlalchemy as sa
from alembic import op

from dal.emails import canonical
from migrations import rendered_posts

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 200
AUTOINCREMENTED = ("users", "posts", "sessions", "auth_events")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _batch_options(autoincrement: bool) -> dict:
    # resolve_fks=False: reflect the table alone, not the tables its foreign keys point to
    # (users, whose expression index cannot be reflected)
    return {"table_kwargs": {"sqlite_autoincrement": autoincrement}, "reflect_kwargs": {"resolve_fks": False}}


def _rebuild(table: str, *, autoincrement: bool) -> None:
    """SQLite: copy the table into a new one with or without AUTOINCREMENT. The table's
    indexes and constraints are reflected and made again, except users' lower(email) index,
    an expression batch mode cannot reflect: it is dropped first and made again after."""
    if table == "users":
        op.drop_index("uq_users_email_lower", table_name="users")
    with op.batch_alter_table(table, recreate="always", **_batch_options(autoincrement)):
        pass
    if table == "users":
        op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)


def _normalise_emails() -> None:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))
    bind = op.get_bind()
    taken = {email.lower() for email in bind.execute(sa.select(users.c.email)).scalars()}
    last = 0
    while True:
        rows = bind.execute(
            sa.select(users.c.id, users.c.email).where(users.c.id > last).order_by(users.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            try:
                stored = canonical(row.email)
            except ValueError:
                log.warning("user %s: email %r is not a valid address; left as it is", row.id, row.email)
                continue
            if stored == row.email:
                continue
            if stored.lower() in taken:
                log.warning(
                    "user %s: email %r left as it is: its canonical form %r belongs to another "
                    "account (the same mailbox); merge or remove one of them by hand",
                    row.id,
                    row.email,
                    stored,
                )
                continue
            bind.execute(users.update().where(users.c.id == row.id).values(email=stored))
            taken.discard(row.email.lower())
            taken.add(stored.lower())
        last = rows[-1].id


def upgrade() -> None:
    op.add_column("posts", sa.Column("html", sa.Text(), nullable=True))
    op.add_column("posts", sa.Column("excerpt", sa.String(length=255), nullable=True))
    rendered_posts.render_all(op.get_bind())
    sqlite = _sqlite()
    with op.batch_alter_table(
        "posts", recreate="always" if sqlite else "auto", **_batch_options(True)
    ) as batch:
        batch.alter_column("html", existing_type=sa.Text(), nullable=False)
        batch.alter_column("excerpt", existing_type=sa.String(length=255), nullable=False)
    if sqlite:
        for table in AUTOINCREMENTED:
            if table != "posts":  # rebuilt just above
                _rebuild(table, autoincrement=True)
    _normalise_emails()


def downgrade() -> None:
    sqlite = _sqlite()
    if sqlite:
        for table in AUTOINCREMENTED:
            if table != "posts":
                _rebuild(table, autoincrement=False)
    with op.batch_alter_table(
        "posts", recreate="always" if sqlite else "auto", **_batch_options(False)
    ) as batch:
        batch.drop_column("excerpt")
        batch.drop_column("html")
