"""What the sign-up and login pages share: the form's props, and running an auth flow from
the posted form (errors beside the fields, the typed values kept, never the password)."""

from auth.forms import ValidationFailed, kept_values
from core.errors import ApiError
from core.pages import see_other
from core.urls import safe_next


def form_props(ctx, fields, values=None, errors=None):
    return {
        "values": values or dict.fromkeys(fields, ""),
        "errors": errors or {},
        "next": safe_next(ctx.query.get("next"), ""),
    }


async def submit(ctx, fields, flow, refusals):
    """Run flow(ctx.request); on success set the session cookie and go on to ?next= or
    /dashboard. refusals maps an ApiError status to (field, message); a None message shows
    the error's own (a 429's "Try again in N minutes")."""
    values = kept_values(ctx.request.body, fields)
    try:
        _user, cookie = await flow(ctx.request)
    except ValidationFailed as exc:
        return {"props": form_props(ctx, fields, values, exc.by_field), "status": 400}
    except ApiError as exc:
        if exc.status_code not in refusals:
            raise
        field, message = refusals[exc.status_code]
        if "Retry-After" in exc.headers:
            ctx.set_header("Retry-After", exc.headers["Retry-After"])
        errors = {field: message or exc.message}
        return {"props": form_props(ctx, fields, values, errors), "status": exc.status_code}
    cookie.apply(ctx)
    return see_other(safe_next(ctx.query.get("next"), "/dashboard"))
