"""The Data Access Layer: the only door to the data. Every function takes who is asking (a
UserDTO, or None for a signed-out visitor where that is allowed), checks they may, and returns
DTOs (dal.dto), never ORM objects; refusals are domain errors (dal.errors)."""

from dal.dto import SessionDTO, UserDTO
from dal.errors import (
    Conflict,
    DomainError,
    EmailTaken,
    Forbidden,
    Invalid,
    InvalidInput,
    NotFound,
    ReauthRequired,
    TooLarge,
    TooManyAttempts,
    Unauthenticated,
    UnsupportedType,
)

__all__ = [
    "Conflict",
    "DomainError",
    "EmailTaken",
    "Forbidden",
    "Invalid",
    "InvalidInput",
    "NotFound",
    "ReauthRequired",
    "SessionDTO",
    "TooLarge",
    "TooManyAttempts",
    "Unauthenticated",
    "UnsupportedType",
    "UserDTO",
]
