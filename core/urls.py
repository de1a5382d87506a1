"""safe_next(): the open-redirect guard for ?next= parameters."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(value: object, default: str = "/") -> str:
    """value if it is a path on this site ("/account?tab=1"), else default.

    Refused: other hosts ("https://evil.example", "//evil.example"), backslash tricks
    ("/\\evil.example", which browsers read as "//"), other schemes, control characters.
    """
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 0x20 or c == "\\" for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
