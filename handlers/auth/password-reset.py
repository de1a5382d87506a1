"""POST /api/auth/password-reset {email}: 202 {"success": true} for any address; a reset link
is mailed only when the address has an account (the answer never tells)."""

from auth import Anyone, recovery
from auth.forms import PasswordResetRequestInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import Error, Success, ValidationErrorBody


@describe(
    "Ask for a password reset link by mail (the same answer whether or not the address has an account)",
    body=PasswordResetRequestInput,
    responses={202: Success, 400: ValidationErrorBody, 415: Error, 429: Error},
)
@with_json_body
async def post(req: Anyone):
    await recovery.request_password_reset(req)
    return json_response({"success": True}, status=202)
