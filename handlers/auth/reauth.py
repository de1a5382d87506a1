"""POST /api/auth/reauth {"password"} (or {"code"}): the signed-in user proves who they are
again, so that sensitive actions (deleting the account, changing the email without the current
password) are allowed for REAUTH_WINDOW_SECONDS. 200 {"success": true, "reauthenticated_until"};
400 naming the field for a wrong or missing password; 400 {"error"} for a code while no account
has codes; 429 with Retry-After once wrong passwords reach the failed-password limit."""

from auth import SignedIn, reauth
from auth.forms import ReauthInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import BadRequest, Error, Reauthenticated

ACCESS = "user"


@describe(
    "Re-authenticate: confirm who you are, for sensitive actions in the next few minutes",
    body=ReauthInput,
    responses={200: Reauthenticated, 400: BadRequest, 401: Error, 415: Error, 429: Error},
)
@with_json_body
async def post(req: SignedIn):
    cookie = await reauth.confirm_request(req)
    window = reauth.window(req)
    response = json_response(
        Reauthenticated(success=True, reauthenticated_until=reauth.until_from_now(window))
    )
    if cookie is not None:
        cookie.apply(response)
    return response
