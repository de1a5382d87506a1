"""The DAL's refusals. They are ApiErrors, so pages and the API map them to statuses in one
place: NotFound -> 404, Forbidden -> 403, Unauthenticated -> 401 (a page sends it to /login)."""

from core.errors import ApiError


class NotFound(ApiError):
    def __init__(self, message: str = "Not found") -> None:
        super().__init__(404, message)


class Forbidden(ApiError):
    def __init__(self, message: str = "Forbidden") -> None:
        super().__init__(403, message)


class Unauthenticated(ApiError):
    def __init__(self, message: str = "User is not authenticated") -> None:
        super().__init__(401, message)


class EmailTaken(ApiError):
    def __init__(self) -> None:
        super().__init__(
            409,
            "Email already registered",
            issues=[{"path": ["email"], "message": "This email is already registered."}],
        )
