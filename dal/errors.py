"""The refusals of the data layer and the auth flows, as domain errors: what went wrong, not
which HTTP status says it. app.py maps them to answers in one place (ERROR_ANSWERS).

Invalid input is core.validation.ValidationFailed (Invalid here is the same thing, built from
one field and its message), so pages show every validation error beside its field.
"""

from __future__ import annotations

from core.validation import ValidationFailed


class DomainError(Exception):
    """A refusal a person may read: its message is shown as it is."""

    default = "Refused"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default
        super().__init__(self.message)


class NotFound(DomainError):
    default = "Not found"


class Forbidden(DomainError):
    default = "Forbidden"


class ReauthRequired(DomainError):
    """A sensitive action, and the session's user has not proved who they are recently
    enough (auth.reauth): the API answers 403 with "reauth_required": true, pages send the
    visitor to /reauth and back."""

    default = "Confirm it's you: re-authenticate to continue."


class Unauthenticated(DomainError):
    """No one is signed in, or the credentials did not match."""

    default = "User is not authenticated"


class Conflict(DomainError):
    """The change clashes with what exists (an email already registered)."""

    def __init__(self, message: str, *, field: str | None = None, field_message: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.field_message = field_message or message


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Email already registered", field="email", field_message="This email is already registered."
        )


class InvalidInput(DomainError):
    """Input the data layer cannot take, not tied to one form field (an empty upload)."""

    default = "Invalid input"


class TooLarge(DomainError):
    default = "Too large"


class UnsupportedType(DomainError):
    default = "Unsupported type"


class NotAvailable(DomainError):
    """A feature this set-up cannot offer (passkeys with an APP_URL that is an IP address)."""

    default = "Not available"


class TooManyAttempts(DomainError):
    """A throttle said no; retry_after is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Invalid(ValidationFailed):
    """One field breaks a rule only the data layer can check (a wrong current password)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__([{"path": [field], "message": message}])
