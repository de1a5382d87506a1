"""/login: the login form. Its action logs the user in and goes on to ?next= or /dashboard."""

from auth import flows
from pages._auth_form import form_props, submit

FIELDS = ("email",)
REFUSALS = {401: ("form", "Invalid email or password."), 429: ("form", None)}


async def get_server_side_props(ctx):
    return {"props": form_props(ctx, FIELDS)}


async def action(ctx):
    return await submit(ctx, FIELDS, flows.login, REFUSALS)
