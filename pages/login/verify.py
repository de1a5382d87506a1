"""/login/verify: the sign-in's second step, for an account with two-factor authentication
(signed-out visitors with a pending login, which the password step put in the pending_login
cookie). Form: ``code``, the current code of the authenticator app or a recovery code. Right:
the session starts and the visitor goes on to ?next= or /dashboard. Without a pending login
(none, expired after 5 minutes, or ended by 5 wrong codes) it is back to /login."""

from auth import Anyone, two_factor
from core.pages import see_other
from core.urls import safe_next
from core.validation import ValidationFailed
from dal import TooManyAttempts

ACCESS = "guest"


def _back_to_login(req: Anyone, reason: str):
    req.clear_cookie(two_factor.PENDING_COOKIE)
    return see_other(req.url_for("login", next=safe_next(req.query.get("next"), "") or None, **{reason: 1}))


async def _props(req: Anyone, pending, errors=None):
    return {
        "email": pending.user.email,
        # the second factors this account has (auth.two_factor.methods): the forms to show
        "methods": list(await two_factor.methods(pending.user.id, req.settings)),
        "next": safe_next(req.query.get("next"), ""),
        "errors": errors or {},
    }


async def get_server_side_props(req: Anyone):
    pending = await two_factor.current_pending(req)
    if pending is None:
        return _back_to_login(req, "expired")
    return {"props": await _props(req, pending)}


async def action(req: Anyone):
    pending = await two_factor.current_pending(req)
    if pending is None:
        return _back_to_login(req, "expired")
    try:
        cookie = await two_factor.verify(req)
    except ValidationFailed as exc:
        return {"props": await _props(req, pending, exc.by_field), "status": 400}
    except two_factor.CodeRefused as exc:
        if not exc.attempts_left:
            return _back_to_login(req, "failed")
        message = f"That code is not correct. {exc.message.removeprefix(two_factor.WRONG_CODE).strip()}"
        return {"props": await _props(req, pending, {"code": message}), "status": 401}
    except two_factor.PendingEnded:
        return _back_to_login(req, "expired")
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return {"props": await _props(req, pending, {"form": exc.message}), "status": 429}
    cookie.apply(req)
    return see_other(safe_next(req.query.get("next"), req.url_for("dashboard")))
