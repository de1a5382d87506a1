"""POST /api/auth/passkey {credential}: sign in with a passkey, no password. The credential
answers the options of POST /api/auth/passkey/options (from the same browser: the challenge is
bound to its passkey_signin cookie). 200 {"success": true} and the session cookie; 400 for a
malformed credential or a challenge that is unknown, used or expired; 401 {"error": ...} when
the passkey is not registered, not verified (user verification is required) or its counter
went backwards; 429 after too many failures from the address."""

from auth import Anyone, passkeys
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import BadRequest, Error, Success

ACCESS = "public"
BODY_LIMIT = "64kb"


@describe(
    "Sign in with a passkey: starts a new session (cookie)",
    body=passkeys.PasskeyAssertionInput,
    responses={200: Success, 400: BadRequest, 401: Error, 415: Error, 429: Error, 503: Error},
)
@with_json_body
async def post(req: Anyone):
    _user, session_cookie, signin_cookie = await passkeys.sign_in(req)
    response = json_response({"success": True})
    signin_cookie.apply(response)
    session_cookie.apply(response)
    return response
