"""/login: the login form. Its action logs the user in and goes on to ?next= or /dashboard."""

from auth import flows
from auth.forms import ValidationFailed, kept_values
from core.errors import ApiError
from core.pages import see_other
from core.urls import safe_next

FIELDS = ("email",)


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
        _user, cookie = await flows.login(ctx.request)
    except ValidationFailed as exc:
        return {"props": form(ctx, values, exc.by_field), "status": 400}
    except ApiError as exc:
        if exc.status_code == 429:
            ctx.set_header("Retry-After", exc.headers["Retry-After"])
            return {"props": form(ctx, values, {"form": exc.message}), "status": 429}
        if exc.status_code != 401:
            raise
        return {"props": form(ctx, values, {"form": "Invalid email or password."}), "status": 401}
    cookie.apply(ctx)
    return see_other(safe_next(ctx.query.get("next"), "/dashboard"))
