"""/verify-email/<token>: the link from a verification or email-change mail. Opening it (GET)
shows what it would do and a button, consuming nothing (mail scanners follow links); the
button's POST confirms the address (or makes the new address the account's). The token is in
the URL, so these answers never send it on as a referrer."""

from auth import Anyone, recovery
from core.pages import see_other
from core.validation import ValidationFailed
from dal import Conflict, InvalidInput, TooManyAttempts

ACCESS = "public"


def props(link=None, error: str = ""):
    return {"link": link, "error": error}


async def get_server_side_props(req: Anyone):
    req.set_header("Referrer-Policy", "no-referrer")
    return {"props": props(await recovery.verification_link(req.params["token"]))}


async def action(req: Anyone):
    req.set_header("Referrer-Policy", "no-referrer")
    try:
        await recovery.verify_email(req, {"token": req.params["token"]})
    except (InvalidInput, ValidationFailed):
        return {"props": props(), "status": 400}
    except Conflict:
        error = "That address now belongs to another account, so your address stays as it was."
        return {"props": props(error=error), "status": 409}
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return {"props": props(error=exc.message), "status": 429}
    if req.user is not None:
        return see_other(req.url_for("dashboard", verified=1))
    return see_other(req.url_for("login", verified=1))
