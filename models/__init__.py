"""SQLAlchemy models and the database connection; only dal/ and auth/ import this package."""

from models.base import Base
from models.db import Database

__all__ = ["Base", "Database"]
