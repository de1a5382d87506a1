"""GET /api/me: the signed-in user; 401 {"error": "User is not authenticated"} otherwise
(403 {"error": "Email address not verified"} while EMAIL_VERIFICATION=required holds an
unverified user back).

DELETE /api/me: delete the account (re-authenticated: 403 {"reauth_required": true} otherwise;
409 for the last admin): the user, their posts, sessions and picture go, a notice is mailed, the
cookie is cleared."""

from auth import SignedIn, flows
from core.openapi import describe
from core.responses import json_response
from handlers._schemas import Error, ForbiddenBody, Success, UserEnvelope

ACCESS = "user"


@describe("The signed-in user", responses={200: UserEnvelope, 401: Error, 403: Error})
async def get(req: SignedIn):
    return UserEnvelope(user=req.user)


@describe(
    "Delete your account, its posts, sessions and picture (needs a recent re-authentication)",
    responses={200: Success, 401: Error, 403: ForbiddenBody, 409: Error},
)
async def delete(req: SignedIn):
    cookie = await flows.delete_account(req)
    response = json_response({"success": True})
    cookie.apply(response)
    return response
