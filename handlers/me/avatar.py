"""PUT /api/me/avatar (the image as the body, or a multipart form with an "avatar" file) and
DELETE /api/me/avatar. PNG, JPEG or WebP up to 2 MB, the type read from the file itself."""

import dal
from core.responses import empty
from dal import avatars

BODY_LIMIT = "3mb"  # the image (2 MB at most) plus multipart framing; the exact cap is in dal


async def put(req):
    viewer = dal.require_user(req)
    if req.headers.get("Content-Type", "").startswith("multipart/form-data"):
        req.body  # noqa: B018  (parsing the form fills req.files)
        uploaded = req.files.get("avatar") or []
        data = uploaded[0].body if uploaded else b""
    else:
        data = req.raw_body
    return {"avatar_url": await avatars.set_avatar(viewer, data)}


async def delete(req):
    await avatars.delete_avatar(dal.require_user(req))
    return empty()
