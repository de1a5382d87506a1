"""POST /api/auth/login/verify {code}: the sign-in's second step, after POST /api/auth/login
answered {"mfa_required": true} and set the pending_login cookie. code: the current TOTP code
or a recovery code (used up). 200 {"success": true} and the session cookie (its lifetime as
chosen at the password step); 401 for a wrong code (5 end the sign-in) or when no sign-in is
pending (expired after 5 minutes, used, or ended); 429 when the account's login throttle is
locked; 400 for a code that cannot be one (nothing counted)."""

from auth import Anyone, two_factor
from auth.forms import CodeInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import Error, Success, ValidationErrorBody


@describe(
    "Finish a sign-in with a second-factor code (TOTP or recovery code): starts the session",
    body=CodeInput,
    responses={200: Success, 400: ValidationErrorBody, 401: Error, 415: Error, 429: Error},
)
@with_json_body
async def post(req: Anyone):
    cookie = await two_factor.verify(req)
    response = json_response({"success": True})
    cookie.apply(response)
    return response
