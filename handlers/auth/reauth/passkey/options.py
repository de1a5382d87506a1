"""POST /api/auth/reauth/passkey/options: the options for navigator.credentials.get() to
re-authenticate with one of your passkeys (allowCredentials: yours; a challenge bound to this
session, 5 minutes, used once). 400 when you have no passkey."""

from auth import SignedIn, reauth
from core.openapi import describe
from core.responses import json_response
from handlers._schemas import BadRequest, Error, WebAuthnOptions

ACCESS = "user"


@describe(
    "Options for re-authenticating with a passkey",
    responses={200: WebAuthnOptions, 400: BadRequest, 503: Error},
)
async def post(req: SignedIn):
    return json_response(WebAuthnOptions(options=await reauth.passkey_options(req)))
