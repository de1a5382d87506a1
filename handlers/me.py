"""GET /api/me: the signed-in user; 401 {"error": "User is not authenticated"} otherwise."""

import dal


async def get(req):
    return {"user": dal.require_user(req).public()}
