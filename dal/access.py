"""Role rules the data layer applies itself, whatever the route declared: a DAL function that
only admins may call checks the viewer's role again (defence in depth, and the rule holds
for the command line and tests that call the DAL directly)."""

from __future__ import annotations

from dal.dto import UserDTO
from dal.errors import Forbidden


def check_role(viewer: UserDTO, role: str) -> None:
    if viewer.role != role:
        raise Forbidden(f"This needs the {role} role.")
