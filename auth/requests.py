"""The Request types route code is written against: core's Request with this app's user.

``SignedIn`` for routes whose ACCESS is "user" or "admin" (``req.user`` is a UserDTO, never
None), ``Anyone`` for public and guest routes (``req.user`` may be None).
"""

from __future__ import annotations

from core.requests import Request
from dal.dto import UserDTO

SignedIn = Request[UserDTO]
Anyone = Request[UserDTO | None]
