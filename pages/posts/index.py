"""/posts: published posts, newest first, a page at a time. Live: a post published, changed or
deleted anywhere, or a listed author renamed, shows up without a reload."""

from auth import Anyone
from dal import posts

PER_PAGE = 10
LIVE = True
DEPENDS = ["posts"]


def page_number(raw) -> int:
    """?page= as a page number: anything odd (0, -3, "x") is the first page, anything past the
    last possible page is that page (which shows "there is no such page")."""
    text = raw[-1] if isinstance(raw, list) else raw
    if not (isinstance(text, str) and text.isascii() and text.isdigit()):
        return 1
    return max(1, min(int(text) if len(text) <= 12 else posts.MAX_PAGE, posts.MAX_PAGE))


async def get_server_side_props(req: Anyone):
    query = posts.ListQuery(page=page_number(req.query.get("page", "1")), per_page=PER_PAGE)
    result = await posts.list_posts(req.user, query)
    req.depends_on(*{f"user:{post.author.id}" for post in result.posts})  # names and pictures
    return {"props": {"result": result, "pages": result.pages}}
