"""POST /api/me/email {email, current_password?} (signed in): 202 {"success": true}, a link
goes to the new address and a notice to the old one; the address changes when the link is
followed (POST /api/auth/verify-email). 400 naming the field (a wrong current password, the
same address), 409 when the address has an account. Without current_password the session must
have re-authenticated within REAUTH_WINDOW_SECONDS (403 {"reauth_required": true} otherwise)."""

from auth import SignedIn, recovery
from auth.forms import EmailChangeInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import ConflictBody, Error, ForbiddenBody, Success, ValidationErrorBody

ACCESS = "user"


@describe(
    "Change your email address: confirmed from a link mailed to the new address",
    body=EmailChangeInput,
    responses={
        202: Success,
        400: ValidationErrorBody,
        401: Error,
        403: ForbiddenBody,
        409: ConflictBody,
        415: Error,
        429: Error,
    },
)
@with_json_body
async def post(req: SignedIn):
    await recovery.request_email_change(req)
    return json_response({"success": True}, status=202)
