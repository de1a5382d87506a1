"""/account/passkeys: your passkeys (name, added, last used), rename or delete each without
JavaScript; adding one needs the browser's WebAuthn (static/passkeys.js posts to
/api/me/passkeys/options and /api/me/passkeys, then comes back with ?done=added).

One action serves the page's forms; each says which it is in its ``intent`` field.
"""

from auth import SignedIn, passkeys
from core.pages import see_other
from core.validation import ValidationFailed
from dal import InvalidInput, NotFound

ACCESS = "user"

DONE = {
    "added": "Your passkey was added. You can sign in with it now.",
    "rename": "The passkey was renamed.",
    "delete": "The passkey was deleted. It no longer signs in.",
}


async def page(req: SignedIn, errors=None, status=200):
    props = {
        "passkeys": await passkeys.list_passkeys(req),
        "available": passkeys.available(req.settings),
        "errors": errors or {},
        "done": "" if errors else DONE.get(req.query.get("done"), ""),
    }
    return {"props": props, "status": status} if status != 200 else {"props": props}


async def get_server_side_props(req: SignedIn):
    return await page(req)


async def action(req: SignedIn):
    body = req.body if isinstance(req.body, dict) else {}
    intent = body.get("intent")
    passkey_id = body.get("passkey_id", "")
    passkey_id = passkey_id if isinstance(passkey_id, str) else ""
    try:
        if intent == "rename":
            await passkeys.rename(req, passkey_id)
        elif intent == "delete":
            await passkeys.delete(req, passkey_id)
        else:
            raise InvalidInput("Unknown form.")
    except ValidationFailed as exc:
        return await page(req, {"id": passkey_id, **exc.by_field}, status=400)
    except (InvalidInput, NotFound) as exc:
        return await page(req, {"id": passkey_id, "form": exc.message}, status=req.status_of(exc))
    return see_other(req.url_for("account/passkeys", done=intent))
