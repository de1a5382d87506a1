"""parse(): validate a request body with a pydantic model, or raise ValidationFailed.

ValidationFailed is the framework's "invalid input, field by field": the API answers it 400
{"error": "Validation error", "issues": [{"path": [...], "message": ...}]}; pages show each
message beside its field (by_field).

Before the model sees anything, every string in the body is checked for what no field can
hold: NUL (PostgreSQL cannot store it) and lone surrogates (not text: they cannot be encoded).
JSON bodies are typed: ["a"] or 42 for a string field is an error naming the field. Only
form bodies (FormData), where a repeated field is how browsers send lists, let the last
value of a repeated field win.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError


class FormData(dict):
    """A parsed urlencoded or multipart form: {name: value or [values]}."""


class ValidationFailed(Exception):
    """Input that breaks a rule; issues are [{"path": [field, ...], "message": ...}]."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("Validation error")
        self.issues = issues

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls([{"path": [name], "message": message}])

    @property
    def by_field(self) -> dict[str, str]:
        """{"email": "first message for email", ...} for showing beside form fields."""
        fields: dict[str, str] = {}
        for issue in self.issues:
            key = str(issue["path"][0]) if issue["path"] else "form"
            fields.setdefault(key, issue["message"])
        return fields


# pydantic's error types in plain sentences; a model can say what to ask for a required field
# left out in its MISSING class variable ({"name": "Enter your name."})
MESSAGES = {
    "missing": "This field is required.",
    "string_type": "Must be a string.",
    "bool_type": "Must be true or false.",
    "bool_parsing": "Must be true or false.",
    "int_type": "Must be a whole number.",
    "int_parsing": "Must be a whole number.",
    "int_from_float": "Must be a whole number.",
}


def text_problem(value: str) -> str | None:
    """What makes a string unusable anywhere, or None."""
    if "\x00" in value:
        return "Must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid text (it holds a lone surrogate)."
    return None


def has_control_characters(value: str, allowed: str = "") -> bool:
    """True when value holds a control character (Unicode category Cc: C0, DEL, C1) other than
    those in allowed (a post body allows "\t\n\r")."""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in value)


def _first_problem(value: Any) -> str | None:
    """The first unusable string in value (strings, lists, dicts; no recursion: depth is
    bounded by the body parser, but a loop keeps this safe for any input)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                return problem
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return None


def parse(model: type[BaseModel], data: Any) -> Any:
    """Validate a request body (a dict from JSON, or FormData) into model, or raise
    ValidationFailed naming each bad field."""
    if not isinstance(data, dict):
        raise ValidationFailed([{"path": [], "message": "Expected a JSON object or a form."}])
    issues = []
    for key, value in data.items():
        problem = _first_problem(key) or _first_problem(value)
        if problem:
            issues.append({"path": [key if text_problem(key) is None else "?"], "message": problem})
    if issues:
        raise ValidationFailed(issues)
    if isinstance(data, FormData):
        data = {k: (v[-1] if isinstance(v, list) and k in model.model_fields else v) for k, v in data.items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(issues_of(exc, getattr(model, "MISSING", {}))) from None


def issues_of(error: ValidationError, missing: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Each error as {"path", "message"}: a validator's own message, else MESSAGES' sentence
    (for a required field left out, missing[field] when given)."""
    issues = []
    for item in error.errors():
        path = [str(p) for p in item["loc"]]
        message = MESSAGES.get(item["type"], item["msg"].removeprefix("Value error, "))
        if item["type"] == "missing" and len(path) == 1:
            message = (missing or {}).get(path[0], message)
        issues.append({"path": path, "message": message})
    return issues
