"""The two-factor section of /account (pages/_two_factor.html): set up TOTP (the QR code and
the secret as text, then a first code), the recovery codes shown once, a new set of codes,
turning it off. It serves these intents of the account page's action. Regenerating codes and
turning 2FA off are separate intents (and auth.two_factor functions), so that each can be put
behind a re-authentication on its own."""

from auth import SignedIn, two_factor
from core.validation import ValidationFailed
from dal import Conflict, TooManyAttempts

INTENTS = ("totp_start", "totp_cancel", "totp_confirm", "totp_disable", "recovery_codes")
DONE = {
    "totp_disable": "Two-factor authentication is off. Your password alone signs you in.",
    "totp_cancel": "The set-up was cancelled.",
}


async def props(req: SignedIn) -> dict:
    current, svg = await two_factor.state(req)
    return {
        "two_factor": {
            "enabled": current.enabled,
            "enabled_at": current.enabled_at,
            "setup_secret": current.setup_secret,
            "setup_qr": svg,
            "recovery_codes_left": current.recovery_codes_left,
            "done": DONE.get(req.query.get("done"), ""),
        },
        "recovery_codes": [],
    }


async def act(req: SignedIn, intent: str, page):
    """Run the intent; None when it worked and the action may redirect, else the page to show
    (with its errors, or with the recovery codes, which are shown this once)."""
    try:
        if intent == "totp_start":
            await two_factor.start_setup(req)
        elif intent == "totp_cancel":
            await two_factor.cancel_setup(req)
        elif intent == "totp_confirm":
            codes = await two_factor.confirm_setup(req)
            return await page(req, recovery_codes=codes, done="Two-factor authentication is on.")
        elif intent == "totp_disable":
            await two_factor.disable(req)
        else:
            codes = await two_factor.regenerate_recovery_codes(req)
            return await page(
                req, recovery_codes=codes, done="New recovery codes: the old ones no longer work."
            )
    except ValidationFailed as exc:
        return await page(req, {intent: exc.by_field}, status=400)
    except Conflict as exc:
        return await page(req, {intent: {"code": exc.field_message}}, status=409)
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return await page(req, {intent: {"code": exc.message}}, status=429)
    return None
