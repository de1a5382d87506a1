"""POST /api/me/passkeys/options: the options for navigator.credentials.create() to add a
passkey (a challenge bound to this session, valid 5 minutes, used once; your passkeys
excluded). 503 when APP_URL names an IP address (WebAuthn needs a host name)."""

from auth import SignedIn, passkeys
from core.openapi import describe
from handlers._schemas import Error, WebAuthnOptions

ACCESS = "user"


@describe("Registration options for a new passkey", responses={200: WebAuthnOptions, 401: Error, 503: Error})
async def post(req: SignedIn):
    return WebAuthnOptions(options=await passkeys.registration_options(req))
