"""The email section of /account (pages/_email_change.html): the address and whether it is
confirmed, "send the link again", and the form to change the address. It serves two intents
of the account page's action: "email" (ask for a change: a link goes to the new address) and
"resend" (a new verification link)."""

from auth import SignedIn, recovery
from auth.forms import kept_values
from core.validation import ValidationFailed
from dal import EmailTaken, InvalidInput, ReauthRequired, TooManyAttempts
from dal import verification as dal_verification

INTENTS = ("email", "resend")
DONE = {
    "email": "We sent a link to your new address. Your address changes when you open it and confirm.",
    "resend": "We sent a new link to your address.",
}


async def props(req: SignedIn) -> dict:
    return {
        "email_section": {
            "verification": req.settings.email_verification,
            "pending": await dal_verification.pending_change(req.user),
            "done": DONE.get(req.query.get("done"), ""),
        }
    }


async def act(req: SignedIn, intent: str, page):
    """Run the intent; None when it worked (the action redirects), else the page to show."""
    values = {"name": req.user.name, "new_email": kept_values(req.body, ("email",))["email"]}
    try:
        if intent == "email":
            await recovery.request_email_change(req)
        else:
            await recovery.resend_verification(req)
    except ValidationFailed as exc:
        return await page(req, {intent: exc.by_field}, values, status=400)
    except ReauthRequired:  # no password typed, and no recent proof: ask for it, keep the rest
        return await page(req, {intent: {"current_password": "Enter your password."}}, values, status=400)
    except EmailTaken as exc:
        return await page(req, {intent: {"email": exc.field_message}}, values, status=409)
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return await page(req, {intent: {"form": exc.message}}, values, status=429)
    except InvalidInput as exc:
        return await page(req, {intent: {"form": exc.message}}, values, status=400)
    return None
