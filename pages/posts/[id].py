"""/posts/{id}: one post, its Markdown rendered to safe HTML. Drafts: author and admins only."""

import dal
from core.markdown import render_markdown
from dal import posts


async def get_server_side_props(ctx):
    viewer = dal.current_user(ctx)
    post = await posts.get_post(viewer, posts.parse_id(ctx.params["id"]))
    return {
        "props": {"post": post, "html": render_markdown(post.body), "can_edit": posts.can_edit(viewer, post)}
    }
