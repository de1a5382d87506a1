"""/posts/new: write a post (signed in). Saved, it goes to the post's page."""

from auth import SignedIn
from core.pages import see_other
from core.validation import ValidationFailed
from dal import posts
from pages.posts import _form

ACCESS = "user"


async def get_server_side_props(req: SignedIn):
    return {"props": {"values": {"title": "", "body": "", "published": False}, "errors": {}}}


async def action(req: SignedIn):
    try:
        post = await posts.create_post(req.user, _form.read(req.body))
    except ValidationFailed as exc:
        return {"props": _form.refill(req.body, exc), "status": 400}
    return see_other(req.url_for("posts/[id]", id=post.id, saved=1))  # the page confirms it
