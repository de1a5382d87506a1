"""/forgot-password: ask for a password reset link by mail. Every address gets the same answer
(the same redirect and page), and a mail goes only to an account's address."""

from datetime import timedelta

from auth import Anyone, recovery
from auth.forms import kept_values
from auth.mails import duration
from core.pages import see_other
from core.validation import ValidationFailed
from dal import TooManyAttempts


def props(req: Anyone, values=None, errors=None):
    return {
        "values": values or {"email": ""},
        "errors": errors or {},
        "sent": req.query.get("sent") == "1",
        "lifetime": duration(timedelta(seconds=req.settings.password_reset_ttl_seconds)),
    }


async def get_server_side_props(req: Anyone):
    return {"props": props(req)}


async def action(req: Anyone):
    values = kept_values(req.body, ("email",))
    try:
        await recovery.request_password_reset(req)
    except ValidationFailed as exc:
        return {"props": props(req, values, exc.by_field), "status": 400}
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return {"props": props(req, values, {"form": exc.message}), "status": 429}
    return see_other(req.url_for("forgot-password", sent=1))
