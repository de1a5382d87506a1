"""/posts/{id}: one post, as the HTML rendered when it was written. Drafts: author and admins only."""

from auth import Anyone
from dal import posts


async def get_server_side_props(req: Anyone):
    post = await posts.get_post(req.user, req.params["id"])
    return {"props": {"post": post, "can_edit": posts.can_edit(req.user, post)}}
