"""/posts/{id}/delete: asks before deleting; the form's POST deletes (author or admin)."""

from auth import SignedIn
from core.pages import see_other
from dal import Forbidden, posts

ACCESS = "user"


async def get_server_side_props(req: SignedIn):
    post = await posts.get_post(req.user, req.params["id"])
    if not posts.can_edit(req.user, post):
        raise Forbidden("Only the author or an admin can delete this post")
    return {"props": {"post": post}}


async def action(req: SignedIn):
    await posts.delete_post(req.user, req.params["id"])
    return see_other(req.url_for("dashboard", deleted=1))
