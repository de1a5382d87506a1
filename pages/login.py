"""/login: the login form (signed-out visitors only). Its action logs the user in and goes on
to ?next= or /dashboard. ?signed_out=1 (where logging out lands), ?reset=1 and ?verified=1 say
what just happened above the form (signed out, a new password, a confirmed address). "Sign in
with a passkey" (static/passkeys.js) shows when APP_URL allows passkeys and the browser has
WebAuthn."""

from auth import Anyone, flows, passkeys
from dal import TooManyAttempts, Unauthenticated
from pages._auth_form import form_props, submit

ACCESS = "guest"
FIELDS = ("email",)
REFUSALS = {Unauthenticated: ("form", "Invalid email or password."), TooManyAttempts: ("form", None)}
NOTICES = {
    "signed_out": "You are signed out.",
    "reset": "Your password was changed, and every session was signed out. Log in with your new password.",
    "verified": "Your email address is confirmed. Log in to go on.",
}


async def get_server_side_props(req: Anyone):
    notice = next((text for key, text in NOTICES.items() if req.query.get(key) == "1"), "")
    return {"props": {**form_props(req, FIELDS, notice=notice), "passkeys": passkeys.available(req.settings)}}


async def action(req: Anyone):
    result = await submit(req, FIELDS, flows.login, REFUSALS)
    if "props" in result:  # the form again, with its errors: the passkey button stays
        result["props"]["passkeys"] = passkeys.available(req.settings)
    return result
