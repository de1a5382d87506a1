"""/posts/{id}: one post, as the HTML rendered when it was written. Drafts: author and admins only.
After the post form saved it (?saved=1), its author sees a confirmation. Live: an edit shows
up without a reload; a deletion shows the not-found page."""

from auth import Anyone
from dal import posts

LIVE = True
DEPENDS = ["post:{id}"]


def saved_notice(post) -> str:
    """The confirmation shown after the post form saved (?saved=1)."""
    return "The post was saved and published." if post.published else "The post was saved as a draft."


async def get_server_side_props(req: Anyone):
    post = await posts.get_post(req.user, req.params["id"])
    req.depends_on(f"user:{post.author.id}")
    can_edit = posts.can_edit(req.user, post)
    notice = saved_notice(post) if can_edit and req.query.get("saved") == "1" else ""
    return {"props": {"post": post, "can_edit": can_edit, "notice": notice}}
