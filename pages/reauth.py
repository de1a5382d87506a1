"""/reauth: "Confirm it's you". A sensitive page or form sends the signed-in visitor here
(auth.reauth.require_recent, via app.py: /reauth?next=<the page>) when their last proof of who
they are is older than REAUTH_WINDOW_SECONDS; the form asks for the password and goes back to
?next= (a path on this site; /account otherwise), where the action's form then goes through.

Beside the password: a code field when two-factor authentication is on (its code or a recovery
code), and "Use a passkey" (static/passkeys.js, POST /api/auth/reauth/passkey) when the user has
a passkey; each is a verifier of auth.reauth."""

from auth import SignedIn, reauth
from core.pages import see_other
from core.urls import safe_next
from core.validation import ValidationFailed
from dal import InvalidInput, TooManyAttempts

ACCESS = "user"


async def _props(req: SignedIn, errors=None):
    return {
        "next": safe_next(req.query.get("next"), req.url_for("account")),
        "errors": errors or {},
        "window_minutes": max(1, reauth.window(req) // 60),
        "verifiers": await reauth.verifiers(req),
    }


async def get_server_side_props(req: SignedIn):
    return {"props": await _props(req)}


async def action(req: SignedIn):
    try:
        cookie = await reauth.confirm_request(req)
    except ValidationFailed as exc:
        return {"props": await _props(req, exc.by_field), "status": 400}
    except TooManyAttempts as exc:
        req.set_header("Retry-After", str(exc.retry_after))
        return {"props": await _props(req, {"form": exc.message}), "status": 429}
    except InvalidInput as exc:
        return {"props": await _props(req, {"form": exc.message}), "status": 400}
    if cookie is not None:
        cookie.apply(req)
    return see_other(safe_next(req.query.get("next"), req.url_for("account")))
