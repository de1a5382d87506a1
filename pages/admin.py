"""/admin: every user and their role, and the latest audit events; an admin changes others'
roles here. Signed out: sent to /login; signed in without the admin role: the 403 page. Live:
new users, role changes and events appear as they happen (a demoted admin sees the 403 page)."""

from auth import SignedIn, flows
from core.pages import see_other
from core.validation import ValidationFailed
from dal import Invalid, NotFound, audit
from dal import users as dal_users

ACCESS = "admin"
LIVE = True
DEPENDS = ["users", "audit"]


async def page(req: SignedIn, error="", status=200):
    props = {
        "viewer": req.user,
        "users": await dal_users.list_users(req.user),
        "events": await audit.latest(req.user),
        "roles": ["user", "admin"],
        "error": error,
        # shown again with an error, the page never carries the notice of an earlier success
        "done": "The role was changed." if req.query.get("done") == "role" and not error else "",
    }
    return {"props": props, "status": status} if status != 200 else {"props": props}


async def get_server_side_props(req: SignedIn):
    return await page(req)


async def action(req: SignedIn):
    body = req.body if isinstance(req.body, dict) else {}
    user_id = str(body.get("user_id", ""))
    try:
        if not user_id.isdigit():
            raise Invalid("user_id", "Choose a user.")
        await flows.change_role(req, user_id, str(body.get("role", "")))
    except ValidationFailed as exc:
        return await page(req, exc.issues[0]["message"], status=400)
    except NotFound as exc:
        return await page(req, exc.message, status=404)
    return see_other(req.url_for("admin", done="role"))
