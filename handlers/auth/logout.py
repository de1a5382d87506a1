"""POST /api/auth/logout: ends the session (its row is deleted) and clears the cookie."""

from auth import Anyone, flows
from core.openapi import describe
from core.responses import json_response
from handlers._schemas import Success


@describe("Log out: ends the session and clears the cookie", responses={200: Success})
async def post(req: Anyone):
    cookie = await flows.logout(req)
    response = json_response({"success": True})
    cookie.apply(response)
    return response
