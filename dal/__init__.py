"""The Data Access Layer: the only door to users and sessions. Every function checks who is
asking and returns DTOs (dal.dto), never ORM objects; refusals are dal.errors."""

from dal.access import current_user, require_role, require_user
from dal.dto import SessionDTO, UserDTO
from dal.errors import EmailTaken, Forbidden, NotFound, Unauthenticated

__all__ = [
    "EmailTaken",
    "Forbidden",
    "NotFound",
    "SessionDTO",
    "Unauthenticated",
    "UserDTO",
    "current_user",
    "require_role",
    "require_user",
]
