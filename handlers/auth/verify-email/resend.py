"""POST /api/auth/verify-email/resend (signed in): 202 {"success": true}, a new verification
link goes to the account's address (older links stop working); at most 3 in 10 minutes
(then 429); 400 when the address is verified already or verification is off."""

from auth import SignedIn, recovery
from core.openapi import describe
from core.responses import json_response
from handlers._schemas import Error, Success

ACCESS = "user"


@describe(
    "Send the verification mail again (at most 3 in 10 minutes)",
    responses={202: Success, 400: Error, 401: Error, 429: Error},
)
async def post(req: SignedIn):
    await recovery.resend_verification(req)
    return json_response({"success": True}, status=202)
