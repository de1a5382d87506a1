"""POST /api/auth/login/passkey/options: the options for navigator.credentials.get() to finish
the pending sign-in (the pending_login cookie) with one of the account's passkeys
(allowCredentials: theirs; a challenge bound to that sign-in, 5 minutes, used once). 401 when
no sign-in is pending; 400 when the account has no passkey."""

from auth import Anyone, two_factor
from core.openapi import describe
from core.responses import json_response
from handlers._schemas import BadRequest, Error, WebAuthnOptions

ACCESS = "public"


@describe(
    "Options for finishing a sign-in with a passkey (second factor)",
    responses={200: WebAuthnOptions, 400: BadRequest, 401: Error, 503: Error},
)
async def post(req: Anyone):
    return json_response(WebAuthnOptions(options=await two_factor.passkey_options(req)))
