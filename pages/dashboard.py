"""/dashboard: who you are, and your posts (drafts included). Signed out: middleware
(optimistic) and require_user (secure) both send the visitor to /login?next=/dashboard."""

import dal
from dal import posts


async def get_server_side_props(ctx):
    user = dal.require_user(ctx)
    mine = await posts.list_posts(user, posts.ListQuery(author=user.id, per_page=posts.MAX_PER_PAGE))
    notice = "The post was deleted." if ctx.query.get("deleted") == "1" else ""
    return {"props": {"user": user, "my_posts": mine.posts, "my_total": mine.total, "notice": notice}}
