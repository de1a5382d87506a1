"""GET /api/me/passkeys: your passkeys. POST /api/me/passkeys {name, credential}: add one,
answering the options of POST /api/me/passkeys/options (201 {"passkey": ...}); 400 when the
credential is malformed, does not verify, or answers a challenge that is unknown, used,
expired or another session's; 409 when it is registered already."""

from auth import SignedIn, passkeys
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import BadRequest, ConflictBody, Error, PasskeyBody, PasskeyEnvelope, PasskeyList

ACCESS = "user"
BODY_LIMIT = "64kb"  # a credential is a few kilobytes


@describe("Your passkeys", responses={200: PasskeyList, 401: Error})
async def get(req: SignedIn):
    return PasskeyList(passkeys=[PasskeyBody.model_validate(p) for p in await passkeys.list_passkeys(req)])


@describe(
    "Add a passkey: the answer of navigator.credentials.create() to the registration options",
    body=passkeys.PasskeyAddInput,
    responses={201: PasskeyEnvelope, 400: BadRequest, 401: Error, 409: ConflictBody, 415: Error, 503: Error},
)
@with_json_body
async def post(req: SignedIn):
    added = await passkeys.add(req)
    return json_response(PasskeyEnvelope(passkey=PasskeyBody.model_validate(added)), status=201)
