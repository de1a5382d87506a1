"""/verify-email: "check your inbox". Where an unverified user is sent while
EMAIL_VERIFICATION=required holds them back; also the target of "send the link again"."""

from auth import SignedIn, recovery
from core.pages import see_other
from dal import InvalidInput, TooManyAttempts

ACCESS = "user"


def props(req: SignedIn, error: str = ""):
    return {
        "user": req.user,
        "required": req.settings.email_verification == "required",
        "sent": req.query.get("sent") == "1",
        "error": error,
    }


async def get_server_side_props(req: SignedIn):
    return {"props": props(req)}


async def action(req: SignedIn):
    try:
        await recovery.resend_verification(req)
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return {"props": props(req, exc.message), "status": 429}
    except InvalidInput as exc:
        return {"props": props(req, exc.message), "status": 400}
    return see_other(req.url_for("verify-email", sent=1))
