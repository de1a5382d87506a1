"""/posts/new: write a post (signed in). Saved, it goes to the post's page."""

from core.pages import see_other
from core.validation import ValidationFailed
from dal import posts, require_user
from pages.posts import _form


async def get_server_side_props(ctx):
    require_user(ctx)
    return {"props": {"values": {"title": "", "body": "", "published": False}, "errors": {}}}


async def action(ctx):
    viewer = require_user(ctx)
    try:
        post = await posts.create_post(viewer, _form.read(ctx.request.body))
    except ValidationFailed as exc:
        return {"props": _form.refill(ctx.request.body, exc), "status": 400}
    return see_other(f"/posts/{post.id}")
