"""Re-authentication and the end of an account.

- sessions.reauthenticated_at: when the user last proved who they are in that session (the
  login, or a re-authentication); sensitive actions need it within REAUTH_WINDOW_SECONDS.
- auth_events.user_id loses its foreign key (it was ON DELETE SET NULL): an audit event keeps
  the id of the user it is about after the account is deleted. Indexed, for the export of a
  user's own events.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FK = "fk_auth_events_user_id_users"


def _batch_options() -> dict:
    # SQLite rebuilds the table: keep AUTOINCREMENT (0005), and reflect the table alone (users'
    # expression index cannot be reflected)
    return {"table_kwargs": {"sqlite_autoincrement": True}, "reflect_kwargs": {"resolve_fks": False}}


def upgrade() -> None:
    with op.batch_alter_table("sessions", **_batch_options()) as batch:
        batch.add_column(sa.Column("reauthenticated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("auth_events", **_batch_options()) as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_index("ix_auth_events_user_id", ["user_id"])


def downgrade() -> None:
    # events of deleted accounts point nowhere: the old foreign key needs them NULL
    op.execute("UPDATE auth_events SET user_id = NULL WHERE user_id NOT IN (SELECT id FROM users)")
    with op.batch_alter_table("auth_events", **_batch_options()) as batch:
        batch.drop_index("ix_auth_events_user_id")
        batch.create_foreign_key(FK, "users", ["user_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("sessions", **_batch_options()) as batch:
        batch.drop_column("reauthenticated_at")
