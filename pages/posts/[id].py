"""/posts/{id}: one post, as the HTML rendered when it was written. Drafts: author and admins only.
Live: an edit shows up without a reload; a deletion shows the not-found page."""

from auth import Anyone
from dal import posts

LIVE = True
DEPENDS = ["post:{id}"]


async def get_server_side_props(req: Anyone):
    post = await posts.get_post(req.user, req.params["id"])
    req.depends_on(f"user:{post.author.id}")
    return {"props": {"post": post, "can_edit": posts.can_edit(req.user, post)}}
