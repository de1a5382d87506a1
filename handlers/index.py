"""GET /api: a small greeting, so a person exploring with curl knows they reached the API."""


async def get(req):
    return {"name": "Tornado Pages API", "status": "ok"}
