"""/signup: the sign-up form. Its action signs the user up and goes on to ?next= or /dashboard."""

from auth import flows
from pages._auth_form import form_props, submit

FIELDS = ("name", "email")
REFUSALS = {409: ("email", "This email is already registered. Log in instead?"), 429: ("form", None)}


async def get_server_side_props(ctx):
    return {"props": form_props(ctx, FIELDS)}


async def action(ctx):
    return await submit(ctx, FIELDS, flows.signup, REFUSALS)
