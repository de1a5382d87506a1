"""POST /api/auth/login {email, password}: 200 {"success": true} and the session cookie;
401 {"error": "Invalid credentials."} for a wrong password and an unknown email alike."""

from auth import flows
from core.responses import json_response
from core.wrappers import with_json_body


@with_json_body
async def post(req):
    _user, cookie = await flows.login(req)
    response = json_response({"success": True})
    cookie.apply(response)
    return response
