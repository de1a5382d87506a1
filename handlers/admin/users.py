"""GET /api/admin/users: every user, for admins (401 signed out, 403 without the role)."""

import dal
from dal import users as dal_users


async def get(req):
    viewer = dal.require_role(req, "admin")
    return {"users": [{**u.public(), "created_at": u.created_at} for u in await dal_users.list_users(viewer)]}
