"""What the sign-up and login pages share: the form's props, and running an auth flow from
the posted form (errors beside the fields, the typed values kept, never the password). A
login that needs a second factor goes on to /login/verify."""

from auth import Anyone
from auth.forms import kept_values
from auth.two_factor import PendingChange
from core.pages import see_other
from core.urls import safe_next
from core.validation import ValidationFailed
from dal import DomainError, TooManyAttempts


def form_props(req: Anyone, fields, values=None, errors=None, notice=""):
    """notice: a success note for the blank form ("You are signed out."); a form shown again
    with its errors never carries one."""
    return {
        "values": values or dict.fromkeys(fields, ""),
        "errors": errors or {},
        "next": safe_next(req.query.get("next"), ""),
        "notice": notice,
    }


async def submit(req: Anyone, fields, flow, refusals):
    """Run flow(req); on success set the session cookie and go on to ?next= or /dashboard.
    refusals maps a refusal (a dal.errors class) to (field, message); a None message shows the
    refusal's own (a 429's "Try again in N minutes"). The page answers with its API status."""
    values = kept_values(req.body, fields)
    try:
        _user, cookie = await flow(req)
    except ValidationFailed as exc:
        return {"props": form_props(req, fields, values, exc.by_field), "status": 400}
    except DomainError as exc:
        if type(exc) not in refusals:
            raise
        field, message = refusals[type(exc)]
        if isinstance(exc, TooManyAttempts):
            req.set_header("Retry-After", str(exc.retry_after))
        errors = {field: message or exc.message}
        return {"props": form_props(req, fields, values, errors), "status": req.status_of(exc)}
    cookie.apply(req)
    if isinstance(cookie, PendingChange):  # a second factor is needed: its own page next
        return see_other(req.url_for("login/verify", next=safe_next(req.query.get("next"), "") or None))
    return see_other(safe_next(req.query.get("next"), req.url_for("dashboard")))
