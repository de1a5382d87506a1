"""GET /api/me: the signed-in user; 401 {"error": "User is not authenticated"} otherwise."""

from auth import SignedIn
from core.openapi import describe
from handlers._schemas import Error, UserEnvelope

ACCESS = "user"


@describe("The signed-in user", responses={200: UserEnvelope, 401: Error})
async def get(req: SignedIn):
    return UserEnvelope(user=req.user)
