"""/signup: the sign-up form (signed-out visitors only). Its action signs the user up and goes
on to ?next= or /dashboard."""

from auth import Anyone, flows
from dal import EmailTaken, TooManyAttempts
from pages._auth_form import form_props, submit

ACCESS = "guest"
FIELDS = ("name", "email")
REFUSALS = {
    EmailTaken: ("email", "This email is already registered. Log in instead?"),
    TooManyAttempts: ("form", None),
}


async def get_server_side_props(req: Anyone):
    return {"props": form_props(req, FIELDS)}


async def action(req: Anyone):
    return await submit(req, FIELDS, flows.signup, REFUSALS)
