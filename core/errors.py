"""ApiError: the one exception type for errors a client is meant to read.

Raise it from an API handler (or anywhere below one) with a status and a message;
the API answers JSON {"error": message, **extra}, pages show the message on the error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import tornado.web


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
        **extra: Any,
    ) -> None:
        super().__init__(status)
        self.message = message or default_message(status)
        self.headers = dict(headers or {})
        self.extra = extra

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"
