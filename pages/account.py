"""/account: change your name or password, see your sessions and end them.

One action serves the page's forms; each form says which it is in its ``intent`` field.
"""

from auth import flows
from auth.forms import ValidationFailed, kept_values
from core.errors import ApiError
from core.pages import see_other
from dal import avatars, posts, require_user
from dal import sessions as dal_sessions

BODY_LIMIT = "3mb"  # the avatar form: an image of up to 2 MB (checked exactly in dal.avatars)

DONE = {
    "name": "Your name was saved.",
    "password": "Your password was changed. Your other sessions were signed out.",
    "session": "That session was signed out.",
    "everywhere": "Every other session was signed out.",
    "avatar": "Your picture was saved.",
    "avatar_delete": "Your picture was removed.",
}


async def page(ctx, errors=None, values=None, status=200):
    user = require_user(ctx)
    session = ctx.current_session
    stateless = session is not None and session.id is None
    sessions = [] if stateless else await dal_sessions.list_sessions(user, session.id if session else None)
    props = {
        "user": user,
        "sessions": sessions,
        "stateless": stateless,
        "errors": errors or {},
        "values": values or {"name": user.name},
        "done": DONE.get(ctx.query.get("done"), ""),
    }
    return {"props": props, "status": status} if status != 200 else {"props": props}


async def get_server_side_props(ctx):
    return await page(ctx)


async def action(ctx):
    require_user(ctx)
    body = ctx.request.body if isinstance(ctx.request.body, dict) else {}
    intent = body.get("intent")
    try:
        if intent == "name":
            await flows.rename(ctx.request)
        elif intent == "password":
            (await flows.change_password(ctx.request)).apply(ctx)
        elif intent == "session":
            session_id = str(body.get("session_id", ""))
            if not session_id.isdigit():
                raise ApiError(400, "Choose a session to sign out")
            await flows.revoke_session(ctx.request, posts.parse_id(session_id, "Session not found"))
        elif intent == "everywhere":
            (await flows.sign_out_everywhere_else(ctx.request)).apply(ctx)
        elif intent == "avatar":
            uploaded = ctx.request.files.get("avatar") or []
            await avatars.set_avatar(require_user(ctx), uploaded[0].body if uploaded else b"")
        elif intent == "avatar_delete":
            await avatars.delete_avatar(require_user(ctx))
        else:
            raise ApiError(400, "Unknown form")
    except ValidationFailed as exc:
        values = kept_values(body, ("name",)) if intent == "name" else None
        return await page(ctx, {intent: exc.by_field}, values, status=400)
    except ApiError as exc:
        if exc.status_code not in (400, 413, 415):
            raise
        fields = {str(i["path"][0]): i["message"] for i in exc.extra.get("issues", []) if i["path"]}
        return await page(ctx, {intent: fields or {"form": exc.message}}, status=exc.status_code)
    return see_other(f"/account?done={intent}")
