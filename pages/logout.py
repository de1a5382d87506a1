"""POST /logout (the nav's button): ends the session and goes to /login."""

from auth import flows
from core.pages import see_other


async def action(ctx):
    cookie = await flows.logout(ctx.request)
    cookie.apply(ctx)
    return see_other("/login")
