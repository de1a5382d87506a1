"""/login: the login form (signed-out visitors only). Its action logs the user in and goes on
to ?next= or /dashboard. /login?signed_out=1 (where logging out lands) says so above the form."""

from auth import Anyone, flows
from dal import TooManyAttempts, Unauthenticated
from pages._auth_form import form_props, submit

ACCESS = "guest"
FIELDS = ("email",)
REFUSALS = {Unauthenticated: ("form", "Invalid email or password."), TooManyAttempts: ("form", None)}


async def get_server_side_props(req: Anyone):
    notice = "You are signed out." if req.query.get("signed_out") == "1" else ""
    return {"props": form_props(req, FIELDS, notice=notice)}


async def action(req: Anyone):
    return await submit(req, FIELDS, flows.login, REFUSALS)
