"""Post: a piece of Markdown that belongs to its author; a draft until published.

html and excerpt are derived from body when the post is written (core.markdown), so a page
view never renders Markdown. AUTOINCREMENT on SQLite: a deleted post's id is never handed out
again, so an old link cannot open someone else's post (PostgreSQL sequences never reuse).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime, utcnow


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        # the public list: published posts, newest first
        Index("ix_posts_published_created_at", "published", "created_at"),
        # one author's posts (the author filter, "My posts")
        Index("ix_posts_author_id_created_at", "author_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # the Markdown source
    html: Mapped[str] = mapped_column(Text)  # body rendered to safe HTML
    excerpt: Mapped[str] = mapped_column(String(255))  # the start of html as plain text
    published: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
