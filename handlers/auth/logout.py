"""POST /api/auth/logout: ends the session (its row is deleted) and clears the cookie."""

from auth import flows
from core.responses import json_response


async def post(req):
    cookie = await flows.logout(req)
    response = json_response({"success": True})
    cookie.apply(response)
    return response
