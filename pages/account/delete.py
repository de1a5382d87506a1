"""/account/delete: the confirmation before an account is deleted. Re-authenticated: GET checks
the window first (auth.reauth.require_recent: to /reauth and back here), so the person confirms
who they are before the question is asked; the POST checks it again (a window that ran out while
the page was open sends them to /reauth and back here: nothing typed is lost, the page has no
fields). Deleting signs this browser out and lands on /goodbye."""

from auth import SignedIn, flows, reauth
from core.pages import see_other
from dal import Conflict
from dal import posts as dal_posts

ACCESS = "user"


async def _page(req: SignedIn, error: str = "", status: int = 200):
    mine = await dal_posts.list_posts(req.user, dal_posts.ListQuery(author=req.user.id, per_page=1))
    props = {"user": req.user, "posts": mine.total, "error": error}
    return {"props": props, "status": status} if status != 200 else {"props": props}


async def get_server_side_props(req: SignedIn):
    reauth.require_recent(req)
    return await _page(req)


async def action(req: SignedIn):
    try:
        cookie = await flows.delete_account(req)
    except Conflict as exc:  # the last admin
        return await _page(req, exc.message, status=409)
    cookie.apply(req)
    return see_other(req.url_for("goodbye"))
