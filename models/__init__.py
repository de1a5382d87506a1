"""SQLAlchemy models and the database connection; only dal/ (and migrations) import this package."""

from models.audit import AuthEvent, RateCounter
from models.base import Base
from models.db import Database
from models.live import LiveChange
from models.mail import TOKEN_KINDS, OneTimeToken, OutboxMessage
from models.passkey import PURPOSES, Passkey, WebAuthnChallenge
from models.post import Post
from models.session import Session
from models.two_factor import PendingLogin, RecoveryCode
from models.user import ROLES, User

__all__ = [
    "PURPOSES",
    "ROLES",
    "TOKEN_KINDS",
    "AuthEvent",
    "Base",
    "Database",
    "LiveChange",
    "OneTimeToken",
    "OutboxMessage",
    "Passkey",
    "PendingLogin",
    "Post",
    "RateCounter",
    "RecoveryCode",
    "Session",
    "User",
    "WebAuthnChallenge",
]
