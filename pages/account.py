"""/account: change your name, picture or password, two-factor authentication, see your
sessions and end them.

One action serves the page's forms; each form says which it is in its ``intent`` field.
"""

from auth import SignedIn, flows
from auth.forms import kept_values
from core.pages import see_other
from core.validation import ValidationFailed
from dal import InvalidInput, TooLarge, UnsupportedType, avatars
from dal import sessions as dal_sessions
from pages import _email_change as email_change
from pages import _two_factor as two_factor

ACCESS = "user"
BODY_LIMIT = "3mb"  # the avatar form: an image of up to 2 MB (checked exactly in dal.avatars)

DONE = {
    "name": "Your name was saved.",
    "password": "Your password was changed. Your other sessions were signed out.",
    "session": "That session was signed out.",
    "everywhere": "Every other session was signed out.",
    "avatar": "Your picture was saved.",
    "avatar_delete": "Your picture was removed.",
}


async def page(req: SignedIn, errors=None, values=None, status=200, recovery_codes=None, done=""):
    session = req.session
    stateless = session.id is None
    sessions = [] if stateless else await dal_sessions.list_sessions(req.user, session.id)
    props = {
        "user": req.user,
        "sessions": sessions,
        "stateless": stateless,
        "errors": errors or {},
        "values": values or {"name": req.user.name},
        # a form shown again with its errors never carries the notice of an earlier success
        "done": "" if errors else done or DONE.get(req.query.get("done"), ""),
        **await email_change.props(req),  # the email section (pages/_email_change.py)
        **await two_factor.props(req),  # the two-factor section (pages/_two_factor.py)
    }
    if recovery_codes:  # just made: shown this once
        props["recovery_codes"] = recovery_codes
    return {"props": props, "status": status} if status != 200 else {"props": props}


async def get_server_side_props(req: SignedIn):
    return await page(req)


async def action(req: SignedIn):
    body = req.body if isinstance(req.body, dict) else {}
    intent = body.get("intent")
    try:
        if intent == "name":
            await flows.rename(req)
        elif intent == "password":
            (await flows.change_password(req)).apply(req)
        elif intent == "session":
            session_id = str(body.get("session_id", ""))
            if not session_id.isdigit():
                raise InvalidInput("Choose a session to sign out.")
            await flows.revoke_session(req, session_id)
        elif intent == "everywhere":
            (await flows.sign_out_everywhere_else(req)).apply(req)
        elif intent == "avatar":
            uploaded = req.files.get("avatar") or []
            await avatars.set_avatar(req.user, uploaded[0].body if uploaded else b"")
        elif intent == "avatar_delete":
            await avatars.delete_avatar(req.user)
        elif intent in two_factor.INTENTS:  # the two-factor section (pages/_two_factor.py)
            if (shown := await two_factor.act(req, intent, page)) is not None:
                return shown
        elif intent in email_change.INTENTS:  # the email section (pages/_email_change.py)
            if (refused := await email_change.act(req, intent, page)) is not None:
                return refused
        else:
            raise InvalidInput("Unknown form.")
    except ValidationFailed as exc:
        values = kept_values(body, ("name",)) if intent == "name" else None
        return await page(req, {intent: exc.by_field}, values, status=400)
    except (InvalidInput, TooLarge, UnsupportedType) as exc:
        return await page(req, {intent: {"form": exc.message}}, status=req.status_of(exc))
    anchor = "#two-factor" if intent in two_factor.INTENTS else ""
    return see_other(req.url_for("account", done=intent) + anchor)
