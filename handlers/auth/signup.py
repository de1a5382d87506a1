"""POST /api/auth/signup {name, email, password}: 201 {"user": ...} and the session cookie."""

from auth import flows
from core.responses import json_response
from core.wrappers import with_json_body


@with_json_body
async def post(req):
    user, cookie = await flows.signup(req)
    response = json_response({"user": user.public()}, status=201)
    cookie.apply(response)
    return response
