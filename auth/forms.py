"""Input rules for sign-up, login, account changes, password resets and email changes
(pydantic models, checked by core.validation.parse, which raises the 400 with issues that
pages show beside each field)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from core.validation import has_control_characters, text_problem
from dal import emails

MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72
MAX_NAME = 100


ENTER_EMAIL = "Enter your email address."


def normalise_email(value: str) -> str:
    """The address in its stored form (dal.emails): any spelling of one mailbox gives one. The
    validator's own reasons are for developers; a person reads one plain sentence."""
    if not value.strip():
        raise ValueError(ENTER_EMAIL)
    try:
        return emails.canonical(value)
    except ValueError:
        raise ValueError("Enter a valid email address.") from None


def check_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise ValueError("Enter your name.")
    if has_control_characters(name):
        raise ValueError("Your name must not contain control characters.")
    if len(name) > MAX_NAME:
        raise ValueError(f"Your name must be at most {MAX_NAME} characters.")
    return name


def check_new_password(value: str) -> str:
    """The one rule for a new password, wherever it is chosen (sign-up, change, reset): a
    password it accepts always logs in; one it refuses is refused everywhere with the same
    message. (NUL and lone surrogates are refused before it, by core.validation.parse.)"""
    if not value:
        raise ValueError("Choose a password.")
    if has_control_characters(value):
        raise ValueError("Password must not contain control characters (tabs, line breaks and the like).")
    if len(value) < MIN_PASSWORD:
        raise ValueError(f"Password must be at least {MIN_PASSWORD} characters.")
    if len(value.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(f"Password must be at most {MAX_PASSWORD_BYTES} bytes (UTF-8): use a shorter one.")
    return value


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)
    # what to ask for when a required field is left out (core.validation.parse)
    MISSING: ClassVar[dict[str, str]] = {}


class SignupInput(_Form):
    MISSING = {"name": "Enter your name.", "email": ENTER_EMAIL, "password": "Choose a password."}
    name: str
    email: str
    password: str

    _name = field_validator("name")(check_name)
    _email = field_validator("email")(normalise_email)
    _password = field_validator("password")(check_new_password)


class LoginInput(_Form):
    MISSING = {"email": ENTER_EMAIL, "password": "Enter your password."}
    email: str
    password: str
    # "Keep me signed in" (form: the checkbox, "on" when checked; JSON: true): a 30-day cookie;
    # unchecked or absent: a browser-session cookie (auth.sessions)
    remember: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        # any spelling of an account's address finds it; any other string matches no account
        # (and still costs one password check)
        if not value.strip():
            raise ValueError(ENTER_EMAIL)
        return emails.lookup_form(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        if not value:
            raise ValueError("Enter your password.")
        return value


MAX_CODE = 64  # a 6-digit code or a 16-character recovery code, with room for spaces and dashes


class CodeInput(_Form):
    """A second-factor code: a TOTP code or a recovery code (dal.two_factor.normalise)."""

    MISSING = {"code": "Enter the code."}
    code: str

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Enter the code.")
        if len(value) > MAX_CODE or has_control_characters(value):
            raise ValueError("Enter the 6-digit code from your app, or a recovery code.")
        return value


class NameInput(_Form):
    MISSING = {"name": "Enter your name."}
    name: str

    _name = field_validator("name")(check_name)


class PasswordChangeInput(_Form):
    MISSING = {"current_password": "Enter your current password.", "new_password": "Choose a new password."}
    current_password: str
    new_password: str

    _new = field_validator("new_password")(check_new_password)

    @field_validator("current_password")
    @classmethod
    def _current(cls, value: str) -> str:
        if not value:
            raise ValueError("Enter your current password.")
        return value

MAX_VERIFIER = 1000  # characters: longer is no password or code of ours (and costs no bcrypt)


class ReauthInput(_Form):
    """A re-authentication: exactly one verifier. password today; code (a TOTP or recovery
    code) is accepted by the schema and answered by auth.reauth (400 until two-factor
    authentication exists); a passkey assertion will be a verifier of its own."""

    password: str | None = None
    code: str | None = None

    @field_validator("password", "code")
    @classmethod
    def _bounded(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_VERIFIER:
            raise ValueError("This is not a password or a code of this account.")
        return value


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
    # left out (or empty): the session must have re-authenticated recently instead
    current_password: str | None = None

    _email = field_validator("email")(normalise_email)


def kept_values(body: object, fields: tuple[str, ...]) -> dict[str, str]:
    """What the user typed in these fields, to refill a form after an error (never passwords)."""
    source = body if isinstance(body, dict) else {}
    values = {}
    for name in fields:
        value = source.get(name, "")
        value = value[-1] if isinstance(value, list) and value else value
        # text that cannot be shown (a lone surrogate) is not put back
        values[name] = value if isinstance(value, str) and text_problem(value) is None else ""
    return values
