"""/posts/{id}/delete: asks before deleting; the form's POST deletes (author or admin)."""

from core.pages import see_other
from dal import Forbidden, posts, require_user


async def get_server_side_props(ctx):
    viewer = require_user(ctx)
    post = await posts.get_post(viewer, posts.parse_id(ctx.params["id"]))
    if not posts.can_edit(viewer, post):
        raise Forbidden("Only the author or an admin can delete this post")
    return {"props": {"post": post}}


async def action(ctx):
    await posts.delete_post(require_user(ctx), posts.parse_id(ctx.params["id"]))
    return see_other("/dashboard?deleted=1")
