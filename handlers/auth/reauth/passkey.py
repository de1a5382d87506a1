"""POST /api/auth/reauth/passkey {credential}: re-authenticate with one of your passkeys (the
assertion answering POST /api/auth/reauth/passkey/options; user verification required). 200
{"success": true, "reauthenticated_until"} as POST /api/auth/reauth; 400 for a malformed
credential or a challenge unknown, used, expired or another session's; 401 when the passkey does
not verify or is not yours; 429 after too many failures from the address."""

from auth import SignedIn, passkeys, reauth
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import BadRequest, Error, Reauthenticated

ACCESS = "user"
BODY_LIMIT = "64kb"


@describe(
    "Re-authenticate with a passkey",
    body=passkeys.PasskeyAssertionInput,
    responses={200: Reauthenticated, 400: BadRequest, 401: Error, 415: Error, 429: Error, 503: Error},
)
@with_json_body
async def post(req: SignedIn):
    cookie = await reauth.confirm_with_passkey(req)
    answer = Reauthenticated(success=True, reauthenticated_until=reauth.until_from_now(reauth.window(req)))
    response = json_response(answer)
    if cookie is not None:
        cookie.apply(response)
    return response
