"""The mails the flows send, each rendered from two Jinja templates in the project's mails/
folder: NAME.txt (the plain-text part) and NAME.html (the HTML part, autoescaped), with the
app's name. Every link is absolute, built on APP_URL (settings.base_url), never on the
request's Host header.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jinja2

from auth.requests import Anyone
from core.mail import Mail
from dal.dto import UserDTO
from dal.tokens import EMAIL_CHANGE_LIFETIME, VERIFY_LIFETIME

TEMPLATES = Path(__file__).resolve().parent.parent / "mails"
APP_NAME = "Tornado Pages"

SUBJECTS = {
    "password_reset": f"Reset your {APP_NAME} password",
    "password_changed": f"Your {APP_NAME} password was changed",
    "verify_email": f"Confirm your email address for {APP_NAME}",
    "email_change": f"Confirm your new email address for {APP_NAME}",
    "email_change_notice": f"Your {APP_NAME} address is being changed",
    "account_deleted": f"Your {APP_NAME} account was deleted",
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(("html",), default_for_string=False),
    undefined=jinja2.StrictUndefined,
    auto_reload=False,  # read once: no file system checks on the event loop
    keep_trailing_newline=True,
)


def duration(lifetime: timedelta) -> str:
    """3600 s -> "1 hour", 86400 s -> "24 hours", 1800 s -> "30 minutes", 5 s -> "5 seconds"."""
    seconds = int(lifetime.total_seconds())
    if seconds >= 3600 and seconds % 3600 == 0:
        count, unit = seconds // 3600, "hour"
    elif seconds >= 60:
        count, unit = round(seconds / 60), "minute"
    else:
        count, unit = seconds, "second"
    return f"{count} {unit}{'s' if count != 1 else ''}"


def link(req: Anyone, route: str, **params: str) -> str:
    """An absolute link to a route: APP_URL and the route's path."""
    return req.settings.base_url + req.url_for(route, **params)


def render(req: Anyone, name: str, to: str, **values: object) -> Mail:
    context = {"app_name": APP_NAME, "base_url": req.settings.base_url, "subject": SUBJECTS[name], **values}
    return Mail(
        to=to,
        subject=SUBJECTS[name],
        text=_templates.get_template(f"{name}.txt").render(context),
        html=_templates.get_template(f"{name}.html").render(context),
    )


def password_reset(req: Anyone, token: str, user: UserDTO) -> Mail:
    lifetime = duration(timedelta(seconds=req.settings.password_reset_ttl_seconds))
    url = link(req, "reset-password/[token]", token=token)
    return render(req, "password_reset", user.email, user=user, link=url, lifetime=lifetime)


def password_changed(req: Anyone, user: UserDTO) -> Mail:
    url = link(req, "forgot-password")
    return render(req, "password_changed", user.email, user=user, link=url)


def verify_email(req: Anyone, token: str, user: UserDTO) -> Mail:
    url = link(req, "verify-email/[token]", token=token)
    lifetime = duration(VERIFY_LIFETIME)
    return render(req, "verify_email", user.email, user=user, email=user.email, link=url, lifetime=lifetime)


def email_change(req: Anyone, new_email: str, token: str, user: UserDTO) -> Mail:
    """To the new address: the link that makes the change."""
    url = link(req, "verify-email/[token]", token=token)
    lifetime = duration(EMAIL_CHANGE_LIFETIME)
    return render(req, "email_change", new_email, user=user, email=new_email, link=url, lifetime=lifetime)


def email_change_notice(req: Anyone, new_email: str, user: UserDTO) -> Mail:
    """To the old address: what was asked, and what to do if it was not the owner."""
    url = link(req, "forgot-password")
    return render(req, "email_change_notice", user.email, user=user, email=new_email, link=url)


def account_deleted(req: Anyone, user: UserDTO) -> Mail:
    """To the address of an account just deleted: what went, and what to do if it was not
    the owner (sign up again; nothing can be restored). Its only link is the site."""
    return render(req, "account_deleted", user.email, user=user, link=req.settings.base_url + "/")
