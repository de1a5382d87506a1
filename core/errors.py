"""ApiError: the one exception type for HTTP errors a client is meant to read, and the
mapping of everything else route code raises onto it (as_api_error).

Raise it from an API handler with a status and a message; the API answers JSON
{"error": message, **extra}, pages show the message on the error page (or, with pages_to,
send the visitor to that page and back). Code below the
routes raises its own (domain) errors instead; the app gives core one function that maps
them (build_application's error_answers), applied where route code is called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import tornado.web

from core.validation import ValidationFailed


def default_message(status: int) -> str:
    """'Not found', 'Method not allowed', ...: the standard phrase in sentence case."""
    try:
        return HTTPStatus(status).phrase.capitalize()
    except ValueError:
        return "Error"


class ApiError(tornado.web.HTTPError):
    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        pages_to: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status)
        self.message = message or default_message(status)
        self.headers = dict(headers or {})
        # pages only: instead of the error page, send the visitor to this page with
        # ?next=<this page>, to come back once it is dealt with (as a 401 sends to log in)
        self.pages_to = pages_to
        self.extra = extra

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"


ErrorAnswers = Callable[[Exception], "ApiError | None"]


def as_api_error(exc: Exception, error_answers: ErrorAnswers | None) -> ApiError | None:
    """The HTTP answer for an exception route code raised: ApiError as it is, invalid input as
    400 with its issues, the app's domain errors through error_answers, else None (a bug: 500)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ValidationFailed):
        return ApiError(400, "Validation error", issues=exc.issues)
    return error_answers(exc) if error_answers is not None else None
