"""PUT /api/me/avatar (the image as the body, or a multipart form with an "avatar" file) and
DELETE /api/me/avatar. PNG, JPEG or WebP up to 2 MB, the type read from the file itself."""

from auth import SignedIn
from core.openapi import describe
from core.responses import empty
from dal import avatars
from handlers._schemas import AvatarBody, Error

ACCESS = "user"
BODY_LIMIT = "3mb"  # the image (2 MB at most) plus multipart framing; the exact cap is in dal


IMAGE = {"type": "string", "format": "binary"}
UPLOAD = {
    "required": True,
    "description": "The image itself, or a multipart form whose avatar field is the file. Its "
    "type is read from its first bytes, not from Content-Type or the file's name.",
    "content": {
        "image/png": {"schema": IMAGE},
        "image/jpeg": {"schema": IMAGE},
        "image/webp": {"schema": IMAGE},
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"avatar": IMAGE}, "required": ["avatar"]},
            "encoding": {"avatar": {"contentType": "image/png, image/jpeg, image/webp"}},
        },
    },
}


@describe(
    "Upload your picture: PNG, JPEG or WebP, at most 2 MB, as the body or a multipart avatar field",
    request_body=UPLOAD,
    responses={200: AvatarBody, 400: Error, 401: Error, 413: Error, 415: Error},
)
async def put(req: SignedIn):
    if req.headers.get("Content-Type", "").startswith("multipart/form-data"):
        uploaded = req.files.get("avatar") or []
        data = uploaded[0].body if uploaded else b""
    else:
        data = req.raw_body
    return AvatarBody(avatar_url=await avatars.set_avatar(req.user, data))


@describe("Remove your picture", responses={204: None, 401: Error})
async def delete(req: SignedIn):
    await avatars.delete_avatar(req.user)
    return empty()
