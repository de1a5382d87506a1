"""POST /api/me/two-factor/recovery-codes (signed in, 2FA on): ten new recovery codes, shown
this once; every older code stops working. 409 when 2FA is off."""

from auth import SignedIn, two_factor
from core.openapi import describe
from handlers._schemas import ConflictBody, Error, RecoveryCodes

ACCESS = "user"


@describe(
    "Replace your recovery codes with ten new ones (shown once)",
    responses={200: RecoveryCodes, 401: Error, 409: ConflictBody},
)
async def post(req: SignedIn):
    return RecoveryCodes(recovery_codes=await two_factor.regenerate_recovery_codes(req))
