"""What the post forms share: reading the form, and the props that refill it after an error."""

from core.validation import ValidationFailed, parse
from dal import posts


def submitted(body) -> dict:
    """The form as the API's JSON would say it: an unticked checkbox sends nothing."""
    form = body if isinstance(body, dict) else {}

    def text(name):
        value = form.get(name, "")
        return value[-1] if isinstance(value, list) else value

    return {"title": text("title"), "body": text("body"), "published": "published" in form}


def read(body) -> posts.PostInput:
    return parse(posts.PostInput, submitted(body))


def refill(body, error: ValidationFailed) -> dict:
    return {"values": submitted(body), "errors": error.by_field}
