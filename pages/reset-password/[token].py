"""/reset-password/<token>: the link from a reset mail. Opening it (GET) shows the form and
consumes nothing (mail scanners follow links); posting the form sets the new password, under
the same rules as sign-up, ends every session of the user and goes on to /login. The token is
in the URL, so these answers never send it on as a referrer."""

from auth import Anyone, recovery
from core.pages import see_other
from core.validation import FormData, ValidationFailed
from dal import InvalidInput, TooManyAttempts

ACCESS = "public"


def props(works: bool, errors=None):
    return {"works": works, "errors": errors or {}}


async def get_server_side_props(req: Anyone):
    req.set_header("Referrer-Policy", "no-referrer")
    return {"props": props(await recovery.reset_link_works(req.params["token"]))}


async def action(req: Anyone):
    req.set_header("Referrer-Policy", "no-referrer")
    form = req.body if isinstance(req.body, dict) else {}
    try:
        _user, cookie = await recovery.reset_password(req, FormData({**form, "token": req.params["token"]}))
    except ValidationFailed as exc:
        return {"props": props(True, exc.by_field), "status": 400}
    except InvalidInput:
        return {"props": props(False), "status": 400}
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return {"props": props(True, {"form": exc.message}), "status": 429}
    if cookie is not None:
        cookie.apply(req)
    return see_other(req.url_for("login", reset=1))
