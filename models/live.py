"""LiveChange: the change log that carries live pages' announcements between the processes
sharing a SQLite database (PostgreSQL uses NOTIFY instead). Each row is one committed
transaction's topics; rows are kept briefly (dal.changes prunes all but the newest). The
pollers read the rows after the last id they saw: ids only grow, since the newest row is never
pruned (SQLite gives a new row the largest id plus one)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class LiveChange(Base):
    __tablename__ = "live_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))  # the process that wrote it
    topics: Mapped[str] = mapped_column(Text)  # space-separated
