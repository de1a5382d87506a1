"""/admin: every user and their role; an admin changes others' roles here.
Signed out: sent to /login; signed in without the admin role: the 403 page."""

from auth import flows
from core.errors import ApiError
from core.pages import see_other
from dal import audit, posts, require_role
from dal import users as dal_users


async def page(ctx, error="", status=200):
    viewer = require_role(ctx, "admin")
    props = {
        "viewer": viewer,
        "users": await dal_users.list_users(viewer),
        "events": await audit.latest(viewer),
        "roles": ["user", "admin"],
        "error": error,
        "done": "The role was changed." if ctx.query.get("done") == "role" else "",
    }
    return {"props": props, "status": status} if status != 200 else {"props": props}


async def get_server_side_props(ctx):
    return await page(ctx)


async def action(ctx):
    require_role(ctx, "admin")
    body = ctx.request.body if isinstance(ctx.request.body, dict) else {}
    user_id, role = str(body.get("user_id", "")), str(body.get("role", ""))
    try:
        if not user_id.isdigit():
            raise ApiError(400, "Choose a user")
        await flows.change_role(ctx.request, posts.parse_id(user_id, "User not found"), role)
    except ApiError as exc:
        if exc.status_code not in (400, 404):
            raise
        issues = exc.extra.get("issues") or [{"message": exc.message}]
        return await page(ctx, issues[0]["message"], status=exc.status_code)
    return see_other("/admin?done=role")
