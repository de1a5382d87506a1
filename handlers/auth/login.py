"""POST /api/auth/login {email, password}: 200 {"success": true} and the session cookie;
401 {"error": "Invalid credentials."} for a wrong password and an unknown email alike."""

from auth import Anyone, flows
from auth.forms import LoginInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import Error, Success, ValidationErrorBody


@describe(
    "Log in: starts a new session (cookie)",
    body=LoginInput,
    responses={200: Success, 400: ValidationErrorBody, 401: Error, 415: Error, 429: Error},
)
@with_json_body
async def post(req: Anyone):
    _user, cookie = await flows.login(req)
    response = json_response({"success": True})
    cookie.apply(response)
    return response
