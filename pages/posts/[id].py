"""/posts/{id}: one post, its Markdown rendered to safe HTML. Drafts: author and admins only."""

from auth import Anyone
from core.markdown import render_markdown
from dal import posts


async def get_server_side_props(req: Anyone):
    post = await posts.get_post(req.user, req.params["id"])
    return {
        "props": {
            "post": post,
            "html": render_markdown(post.body),
            "can_edit": posts.can_edit(req.user, post),
        }
    }
