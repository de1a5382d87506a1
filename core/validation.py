"""parse(): validate a request body with a pydantic model, or raise the API's 400.

A failed validation is ApiError(400, "Validation error", issues=[{"path": [...], "message": ...}]);
pages show each message beside its field (ValidationFailed.by_field).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from core.errors import ApiError


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


MESSAGES = {
    "missing": "This field is required",
    "string_type": "Must be a string",
    "bool_type": "Must be true or false",
    "bool_parsing": "Must be true or false",
    "int_type": "Must be a whole number",
    "int_parsing": "Must be a whole number",
}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def parse(model: type[BaseModel], data: Any) -> Any:
    """Validate a request body (a dict from JSON or a form) into model, or raise ValidationFailed."""
    if not isinstance(data, dict):
        raise ValidationFailed([{"path": [], "message": "Expected a JSON object or a form"}])
    if nul := [key for key, value in data.items() if _has_nul(key) or _has_nul(value)]:
        # PostgreSQL cannot store NUL in text, and no field here has a use for it
        raise ValidationFailed(
            [{"path": [str(key)], "message": "Must not contain NUL characters"} for key in nul]
        )
    data = {k: (v[-1] if isinstance(v, list) and k in model.model_fields else v) for k, v in data.items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            message = MESSAGES.get(error["type"], error["msg"].removeprefix("Value error, "))
            issues.append({"path": [str(p) for p in error["loc"]], "message": message})
        raise ValidationFailed(issues) from None
