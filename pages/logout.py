"""POST /logout (the nav's button): ends the session, if any, and goes to
/login?signed_out=1, which tells the visitor they are signed out."""

from auth import Anyone, flows
from core.pages import see_other


async def action(req: Anyone):
    (await flows.logout(req)).apply(req)
    return see_other(req.url_for("login", signed_out=1))
