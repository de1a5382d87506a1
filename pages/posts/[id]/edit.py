"""/posts/{id}/edit: change a post (its author or an admin)."""

from auth import SignedIn
from core.pages import see_other
from core.validation import ValidationFailed
from dal import Forbidden, posts
from pages.posts import _form

ACCESS = "user"


async def get_server_side_props(req: SignedIn):
    post = await posts.get_post(req.user, req.params["id"])
    if not posts.can_edit(req.user, post):
        raise Forbidden("Only the author or an admin can change this post")
    values = {"title": post.title, "body": post.body, "published": post.published}
    return {"props": {"post": post, "values": values, "errors": {}}}


async def action(req: SignedIn):
    try:
        post = await posts.update_post(req.user, req.params["id"], _form.read(req.body))
    except ValidationFailed as exc:
        current = await posts.get_post(req.user, req.params["id"])
        return {"props": {"post": current, **_form.refill(req.body, exc)}, "status": 400}
    return see_other(req.url_for("posts/[id]", id=post.id, saved=1))  # the page confirms it
