"""Ids from URLs and forms: anything but a positive 32-bit integer names nothing."""

from __future__ import annotations

from dal.errors import NotFound

MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns: anything larger cannot exist


def parse_id(raw: int | str, message: str = "Not found") -> int:
    """An id from a URL or a form: anything but a positive 32-bit integer is simply not found."""
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= MAX_ID:
        return raw
    text = raw if isinstance(raw, str) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 1 <= int(text) <= MAX_ID:
        raise NotFound(message)
    return int(text)
