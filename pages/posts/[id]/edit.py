"""/posts/{id}/edit: change a post (its author or an admin)."""

from core.pages import see_other
from core.validation import ValidationFailed
from dal import Forbidden, posts, require_user
from pages.posts import _form


async def get_server_side_props(ctx):
    viewer = require_user(ctx)
    post = await posts.get_post(viewer, posts.parse_id(ctx.params["id"]))
    if not posts.can_edit(viewer, post):
        raise Forbidden("Only the author or an admin can change this post")
    values = {"title": post.title, "body": post.body, "published": post.published}
    return {"props": {"post": post, "values": values, "errors": {}}}


async def action(ctx):
    viewer = require_user(ctx)
    post_id = posts.parse_id(ctx.params["id"])
    try:
        post = await posts.update_post(viewer, post_id, _form.read(ctx.request.body))
    except ValidationFailed as exc:
        current = await posts.get_post(viewer, post_id)
        return {"props": {"post": current, **_form.refill(ctx.request.body, exc)}, "status": 400}
    return see_other(f"/posts/{post.id}")
