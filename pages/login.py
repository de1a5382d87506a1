"""/login: the login form (signed-out visitors only). Its action logs the user in and goes on
to ?next= or /dashboard."""

from auth import Anyone, flows
from dal import TooManyAttempts, Unauthenticated
from pages._auth_form import form_props, submit

ACCESS = "guest"
FIELDS = ("email",)
REFUSALS = {Unauthenticated: ("form", "Invalid email or password."), TooManyAttempts: ("form", None)}


async def get_server_side_props(req: Anyone):
    return {"props": form_props(req, FIELDS)}


async def action(req: Anyone):
    return await submit(req, FIELDS, flows.login, REFUSALS)
