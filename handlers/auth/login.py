"""POST /api/auth/login {email, password, remember?}: 200 {"success": true} and the session
cookie (30 days with "remember": true, else a browser-session cookie); for an account with a
second factor, 200 {"mfa_required": true, "methods": [...]} and a pending_login cookie instead,
then POST /api/auth/login/verify. 401 {"error": "Invalid credentials."} for a wrong password
and an unknown email alike."""

from auth import Anyone, flows
from auth.forms import LoginInput
from auth.two_factor import PendingChange
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import Error, LoginAnswer, ValidationErrorBody


@describe(
    "Log in: starts a new session (cookie), or the second step when the account has 2FA",
    body=LoginInput,
    responses={
        200: LoginAnswer,
        400: ValidationErrorBody,
        401: Error,
        415: Error,
        429: Error,
    },
)
@with_json_body
async def post(req: Anyone):
    _user, change = await flows.login(req)
    if isinstance(change, PendingChange):
        response = json_response({"mfa_required": True, "methods": list(change.methods)})
    else:
        response = json_response({"success": True})
    change.apply(response)
    return response
