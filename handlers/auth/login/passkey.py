"""POST /api/auth/login/passkey {credential}: the sign-in's second step with one of the
account's passkeys, after POST /api/auth/login answered {"mfa_required": true, "methods": [...,
"passkey"]}: the assertion answering POST /api/auth/login/passkey/options. 200 {"success": true}
and the session cookie (its lifetime as chosen at the password step); 400 for a malformed
credential or a challenge unknown, used, expired or another sign-in's; 401 when the passkey does
not verify or no sign-in is pending (5 failures end it); 429 after too many failures from the
address."""

from auth import Anyone, passkeys, two_factor
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import BadRequest, Error, Success

ACCESS = "public"
BODY_LIMIT = "64kb"


@describe(
    "Finish a sign-in with a passkey as the second factor: starts the session",
    body=passkeys.PasskeyAssertionInput,
    responses={200: Success, 400: BadRequest, 401: Error, 415: Error, 429: Error, 503: Error},
)
@with_json_body
async def post(req: Anyone):
    cookie = await two_factor.verify_passkey(req)
    response = json_response({"success": True})
    cookie.apply(response)
    return response
