"""POST /api/me/two-factor/confirm {code} (signed in): turns two-factor authentication on when
code is the set-up secret's current code; answers the ten recovery codes, shown this once.
400 for a wrong code (nothing changes), 409 when no set-up is waiting or 2FA is on."""

from auth import SignedIn, two_factor
from auth.forms import CodeInput
from core.openapi import describe
from core.wrappers import with_json_body
from handlers._schemas import ConflictBody, Error, RecoveryCodes, ValidationErrorBody

ACCESS = "user"


@describe(
    "Turn two-factor authentication on with a first code: answers the recovery codes (once)",
    body=CodeInput,
    responses={200: RecoveryCodes, 400: ValidationErrorBody, 401: Error, 409: ConflictBody, 415: Error},
)
@with_json_body
async def post(req: SignedIn):
    return RecoveryCodes(recovery_codes=await two_factor.confirm_setup(req))
