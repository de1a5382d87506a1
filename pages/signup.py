"""/signup: the sign-up form. Its action signs the user up and goes on to ?next= or /dashboard."""

from auth import flows
from auth.forms import ValidationFailed, kept_values
from core.errors import ApiError
from core.pages import see_other
from core.urls import safe_next
from dal import EmailTaken

FIELDS = ("name", "email")


def form(ctx, values=None, errors=None):
    return {
        "values": values or dict.fromkeys(FIELDS, ""),
        "errors": errors or {},
        "next": safe_next(ctx.query.get("next"), ""),
    }


async def get_server_side_props(ctx):
    return {"props": form(ctx)}


async def action(ctx):
    values = kept_values(ctx.request.body, FIELDS)
    try:
        _user, cookie = await flows.signup(ctx.request)
    except ValidationFailed as exc:
        return {"props": form(ctx, values, exc.by_field), "status": 400}
    except EmailTaken:
        errors = {"email": "This email is already registered. Log in instead?"}
        return {"props": form(ctx, values, errors), "status": 409}
    except ApiError as exc:
        if exc.status_code != 429:
            raise
        ctx.set_header("Retry-After", exc.headers["Retry-After"])
        return {"props": form(ctx, values, {"form": exc.message}), "status": 429}
    cookie.apply(ctx)
    return see_other(safe_next(ctx.query.get("next"), "/dashboard"))
