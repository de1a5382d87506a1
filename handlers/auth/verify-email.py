"""POST /api/auth/verify-email {token}: 200 {"success": true}: the address of a verification
link is verified (or, for an email change, becomes the account's); 400 {"error": ...} for an
unknown, used or expired token; 409 when the new address was taken meanwhile."""

from auth import Anyone, recovery
from auth.forms import TokenInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import BadRequest, Error, Success


@describe(
    "Verify an email address (or complete an email change) with the token from a mailed link",
    body=TokenInput,
    responses={200: Success, 400: BadRequest, 409: Error, 415: Error, 429: Error},
)
@with_json_body
async def post(req: Anyone):
    await recovery.verify_email(req, req.body)
    return json_response({"success": True})
