"""/dashboard: who you are, and your posts (drafts included); while your address is not
verified (and EMAIL_VERIFICATION is not off), a notice with "send the link again". Live: your
posts and your account as they change, in any tab or device."""

from auth import SignedIn
from dal import posts

ACCESS = "user"
LIVE = True


async def get_server_side_props(req: SignedIn):
    req.depends_on(f"author:{req.user.id}", f"user:{req.user.id}")
    mine = await posts.list_posts(req.user, posts.ListQuery(author=req.user.id, per_page=posts.MAX_PER_PAGE))
    notice = "The post was deleted." if req.query.get("deleted") == "1" else ""
    if req.query.get("verified") == "1":
        notice = "Your email address is confirmed."
    unverified = req.settings.email_verification != "off" and not req.user.email_verified
    return {
        "props": {
            "user": req.user,
            "my_posts": mine.posts,
            "my_total": mine.total,
            "notice": notice,
            "unverified": unverified,
        }
    }
