"""Input rules for sign-up, login, account changes, password resets and email changes
(pydantic models, checked by core.validation.parse, which raises the 400 with issues that
pages show beside each field)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from core.validation import has_control_characters, text_problem
from dal import emails

MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72
MAX_NAME = 100


def normalise_email(value: str) -> str:
    """The address in its stored form (dal.emails): any spelling of one mailbox gives one."""
    try:
        return emails.canonical(value)
    except ValueError as exc:
        raise ValueError(f"Enter a valid email address ({exc})") from None


def check_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise ValueError("Enter your name")
    if has_control_characters(name):
        raise ValueError("Name must not contain control characters")
    if len(name) > MAX_NAME:
        raise ValueError(f"Name must be at most {MAX_NAME} characters")
    return name


def check_new_password(value: str) -> str:
    """The one rule for a new password, wherever it is chosen (sign-up, change, reset): a
    password it accepts always logs in; one it refuses is refused everywhere with the same
    message. (NUL and lone surrogates are refused before it, by core.validation.parse.)"""
    if has_control_characters(value):
        raise ValueError("Password must not contain control characters (tabs, line breaks and the like)")
    if len(value) < MIN_PASSWORD:
        raise ValueError(f"Password must be at least {MIN_PASSWORD} characters")
    if len(value.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(f"Password must be at most {MAX_PASSWORD_BYTES} bytes (UTF-8); use a shorter one")
    return value


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class SignupInput(_Form):
    name: str
    email: str
    password: str

    _name = field_validator("name")(check_name)
    _email = field_validator("email")(normalise_email)
    _password = field_validator("password")(check_new_password)


class LoginInput(_Form):
    email: str
    password: str

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        # any spelling of an account's address finds it; any other string matches no account
        # (and still costs one password check)
        return emails.lookup_form(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        if not value:
            raise ValueError("Enter your password")
        return value


class NameInput(_Form):
    name: str

    _name = field_validator("name")(check_name)


class PasswordChangeInput(_Form):
    current_password: str
    new_password: str

    _new = field_validator("new_password")(check_new_password)


class PasswordResetRequestInput(_Form):
    email: str

    _email = field_validator("email")(normalise_email)


class PasswordResetInput(_Form):
    token: str
    password: str  # the same rule as at sign-up: a password accepted there is accepted here

    _password = field_validator("password")(check_new_password)


class TokenInput(_Form):
    token: str


class EmailChangeInput(_Form):
    email: str
    current_password: str

    _email = field_validator("email")(normalise_email)


def kept_values(body: Any, fields: tuple[str, ...]) -> dict[str, str]:
    """What the user typed in these fields, to refill a form after an error (never passwords)."""
    source = body if isinstance(body, dict) else {}
    values = {}
    for name in fields:
        value = source.get(name, "")
        value = value[-1] if isinstance(value, list) and value else value
        # text that cannot be shown (a lone surrogate) is not put back
        values[name] = value if isinstance(value, str) and text_problem(value) is None else ""
    return values
