"""/dashboard: who you are, and your posts (drafts included). Live: your posts and your account
as they change, in any tab or device."""

from auth import SignedIn
from dal import posts

ACCESS = "user"
LIVE = True


async def get_server_side_props(req: SignedIn):
    req.depends_on(f"author:{req.user.id}", f"user:{req.user.id}")
    mine = await posts.list_posts(req.user, posts.ListQuery(author=req.user.id, per_page=posts.MAX_PER_PAGE))
    notice = "The post was deleted." if req.query.get("deleted") == "1" else ""
    return {"props": {"user": req.user, "my_posts": mine.posts, "my_total": mine.total, "notice": notice}}
