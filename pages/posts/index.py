"""/posts: published posts, newest first, a page at a time."""

import dal
from dal import posts

PER_PAGE = 10


def page_number(raw) -> int:
    """?page= as a page number; anything odd (0, -3, "x") is the first page."""
    text = raw[-1] if isinstance(raw, list) else raw
    return int(text) if isinstance(text, str) and text.isdigit() and 0 < int(text) < 10**9 else 1


async def get_server_side_props(ctx):
    query = posts.ListQuery(page=page_number(ctx.query.get("page", "1")), per_page=PER_PAGE)
    result = await posts.list_posts(dal.current_user(ctx), query)
    return {"props": {"result": result, "pages": result.pages}}
