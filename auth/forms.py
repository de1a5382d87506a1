"""Input rules for sign-up, login and account changes (pydantic), and the 400 they raise.

A failed validation is ApiError(400, "Validation error", issues=[{"path": [...], "message": ...}]);
pages show each message beside its field.
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from core.errors import ApiError

MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72
MAX_NAME = 100


class ValidationFailed(ApiError):
    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__(400, "Validation error", issues=issues)

    @property
    def by_field(self) -> dict[str, str]:
        """{"email": "first message for email", ...} for showing beside form fields."""
        fields: dict[str, str] = {}
        for issue in self.extra["issues"]:
            key = str(issue["path"][0]) if issue["path"] else "form"
            fields.setdefault(key, issue["message"])
        return fields


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Enter a valid email address ({exc})") from None
    return email


def check_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise ValueError("Enter your name")
    if len(name) > MAX_NAME:
        raise ValueError(f"Name must be at most {MAX_NAME} characters")
    return name


def check_new_password(value: str) -> str:
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
        return value.strip().lower()  # any string: a bad one simply matches no account

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


MESSAGES = {
    "missing": "This field is required",
    "string_type": "Must be a string",
}


def parse(model: type[_Form], data: Any) -> Any:
    """Validate a request body (a dict from JSON or a form) into model, or raise ValidationFailed."""
    if not isinstance(data, dict):
        raise ValidationFailed([{"path": [], "message": "Expected a JSON object or a form"}])
    data = {k: (v[-1] if isinstance(v, list) and k in model.model_fields else v) for k, v in data.items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            message = MESSAGES.get(error["type"], error["msg"].removeprefix("Value error, "))
            issues.append({"path": [str(p) for p in error["loc"]], "message": message})
        raise ValidationFailed(issues) from None


def kept_values(body: Any, fields: tuple[str, ...]) -> dict[str, str]:
    """What the user typed in these fields, to refill a form after an error (never passwords)."""
    source = body if isinstance(body, dict) else {}
    values = {}
    for name in fields:
        value = source.get(name, "")
        values[name] = (
            value[-1] if isinstance(value, list) and value else value if isinstance(value, str) else ""
        )
    return values
