"""/login: the login form (signed-out visitors only). Its action logs the user in and goes on
to ?next= or /dashboard. ?signed_out=1 (where logging out lands), ?reset=1 and ?verified=1 say
what just happened above the form (signed out, a new password, a confirmed address);
?expired=1 and ?failed=1 that the second step (/login/verify) ended. "Keep me signed in"
(remember) is kept when the form is shown again. "Sign in with a passkey" (static/passkeys.js)
shows when APP_URL allows passkeys and the browser has WebAuthn."""

from auth import Anyone, flows, passkeys
from dal import TooManyAttempts, Unauthenticated
from pages._auth_form import form_props, submit

ACCESS = "guest"
FIELDS = ("email", "remember")
REFUSALS = {Unauthenticated: ("form", "Invalid email or password."), TooManyAttempts: ("form", None)}
NOTICES = {
    "signed_out": "You are signed out.",
    "reset": "Your password was changed, and every session was signed out. Log in with your new password.",
    "verified": "Your email address is confirmed. Log in to go on.",
}
REFUSED = {  # back from the second step (/login/verify): a note above the form
    "expired": "Your sign-in has expired. Log in again.",
    "failed": "Too many wrong codes. Log in again.",
}


async def get_server_side_props(req: Anyone):
    notice = next((text for key, text in NOTICES.items() if req.query.get(key) == "1"), "")
    refused = next((text for key, text in REFUSED.items() if req.query.get(key) == "1"), None)
    errors = {"form": refused} if refused else None
    props = form_props(req, FIELDS, errors=errors, notice=notice)
    return {"props": {**props, "passkeys": passkeys.available(req.settings)}}


async def action(req: Anyone):
    result = await submit(req, FIELDS, flows.login, REFUSALS)
    if "props" in result:  # the form again, with its errors: the passkey button stays
        result["props"]["passkeys"] = passkeys.available(req.settings)
    return result
