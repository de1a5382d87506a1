"""GET /api/admin/users: every user, for admins (401 signed out, 403 without the role)."""

import dal
from core.openapi import describe
from dal import users as dal_users
from handlers._schemas import Error, UserList


@describe("Every user (admins only)", responses={200: UserList, 401: Error, 403: Error})
async def get(req):
    viewer = dal.require_role(req, "admin")
    return {"users": [{**u.public(), "created_at": u.created_at} for u in await dal_users.list_users(viewer)]}
