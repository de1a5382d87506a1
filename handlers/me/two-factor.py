"""/api/me/two-factor (signed in): GET the state of two-factor authentication; POST starts a
set-up (a new secret: text, otpauth URI and QR code as SVG; 2FA is on only once
POST /api/me/two-factor/confirm accepts a code); DELETE {code} turns it off with a current
TOTP code or a recovery code (a wrong code counts for the account's login throttle)."""

from auth import SignedIn, two_factor
from auth.forms import CodeInput
from core.openapi import describe
from core.wrappers import with_json_body
from dal import two_factor as dal_two_factor
from handlers._schemas import (
    ConflictBody,
    Error,
    Success,
    TwoFactorSetup,
    TwoFactorStatus,
    ValidationErrorBody,
)

ACCESS = "user"


@describe("The state of your two-factor authentication", responses={200: TwoFactorStatus, 401: Error})
async def get(req: SignedIn):
    current = await dal_two_factor.state(req.user)
    return TwoFactorStatus(
        enabled=current.enabled,
        enabled_at=current.enabled_at,
        setup_pending=current.setup_secret is not None,
        recovery_codes_left=current.recovery_codes_left,
    )


@describe(
    "Start setting up two-factor authentication: a new TOTP secret (replaces an unfinished set-up)",
    responses={200: TwoFactorSetup, 401: Error, 409: ConflictBody},
)
async def post(req: SignedIn):
    setup = await two_factor.start_setup(req)
    return TwoFactorSetup(secret=setup.secret, otpauth_uri=setup.uri, qr_svg=setup.svg)


@describe(
    "Turn two-factor authentication off, with a current code or a recovery code",
    body=CodeInput,
    responses={200: Success, 400: ValidationErrorBody, 401: Error, 409: ConflictBody, 415: Error, 429: Error},
)
@with_json_body
async def delete(req: SignedIn):
    await two_factor.disable(req)
    return {"success": True}
