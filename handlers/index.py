"""GET /api: a small greeting, so a person exploring with curl knows they reached the API."""

from auth import Anyone
from core.openapi import describe
from handlers._schemas import ApiInfo


@describe("What this API is", responses={200: ApiInfo})
async def get(req: Anyone):
    return {"name": "Tornado Pages API", "status": "ok"}
