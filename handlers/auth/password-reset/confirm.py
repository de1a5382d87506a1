"""POST /api/auth/password-reset/confirm {token, password}: 200 {"success": true}, the new
password is set and every session of the user ends; 400 {"error": ...} for an unknown, used or
expired token; 400 naming password for one the sign-up rules refuse."""

from auth import Anyone, recovery
from auth.forms import PasswordResetInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import BadRequest, Error, Success


@describe(
    "Set a new password with the token from a reset link; every session of the user ends",
    body=PasswordResetInput,
    responses={200: Success, 400: BadRequest, 415: Error, 429: Error},
)
@with_json_body
async def post(req: Anyone):
    _user, cookie = await recovery.reset_password(req, req.body)
    response = json_response({"success": True})
    if cookie is not None:
        cookie.apply(response)
    return response
