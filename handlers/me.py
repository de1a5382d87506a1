"""GET /api/me: the signed-in user; 401 {"error": "User is not authenticated"} otherwise."""

import dal
from core.openapi import describe
from handlers._schemas import Error, UserEnvelope


@describe("The signed-in user", responses={200: UserEnvelope, 401: Error})
async def get(req):
    return {"user": dal.require_user(req).public()}
