"""GET /api/admin/users: every user, for admins (401 signed out, 403 without the role)."""

from auth import SignedIn
from core.openapi import describe
from dal import users
from handlers._schemas import Error, UserList

ACCESS = "admin"


@describe("Every user (admins only)", responses={200: UserList, 401: Error, 403: Error})
async def get(req: SignedIn):
    return UserList(users=await users.list_users(req.user))
