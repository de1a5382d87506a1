"""GET /api/me: the signed-in user; 401 {"error": "User is not authenticated"} otherwise
(403 {"error": "Email address not verified"} while EMAIL_VERIFICATION=required holds an
unverified user back)."""

from auth import SignedIn
from core.openapi import describe
from handlers._schemas import Error, UserEnvelope

ACCESS = "user"


@describe("The signed-in user", responses={200: UserEnvelope, 401: Error, 403: Error})
async def get(req: SignedIn):
    return UserEnvelope(user=req.user)
