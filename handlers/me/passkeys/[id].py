"""PATCH /api/me/passkeys/{id} {name}: rename one of your passkeys. DELETE: remove it.
Another user's passkey is 404, like one that does not exist."""

from auth import SignedIn, passkeys
from core.openapi import describe
from core.responses import empty
from core.wrappers import with_json_body
from handlers._schemas import Error, PasskeyBody, PasskeyEnvelope, ValidationErrorBody

ACCESS = "user"


@describe(
    "Rename one of your passkeys",
    body=passkeys.PasskeyName,
    responses={200: PasskeyEnvelope, 400: ValidationErrorBody, 401: Error, 404: Error, 415: Error},
)
@with_json_body
async def patch(req: SignedIn):
    renamed = await passkeys.rename(req, req.params["id"])
    return PasskeyEnvelope(passkey=PasskeyBody.model_validate(renamed))


@describe("Delete one of your passkeys", responses={204: None, 401: Error, 404: Error})
async def delete(req: SignedIn):
    await passkeys.delete(req, req.params["id"])
    return empty()
