"""POST /api/auth/passkey/options: the options for navigator.credentials.get() to sign in
with a passkey (no allowCredentials: the passkey says whose it is; user verification
required), and the passkey_signin cookie its challenge is bound to (5 minutes, used once)."""

from auth import Anyone, passkeys
from core.openapi import describe
from core.responses import json_response
from handlers._schemas import Error, WebAuthnOptions

ACCESS = "public"


@describe("Options for signing in with a passkey", responses={200: WebAuthnOptions, 503: Error})
async def post(req: Anyone):
    options, cookie = await passkeys.sign_in_options(req)
    response = json_response(WebAuthnOptions(options=options))
    cookie.apply(response)
    return response
