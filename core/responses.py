"""Response values that API handlers and middleware return when a plain dict will not do:
another status, headers, cookies, a redirect, an empty 204, or a file.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def json_bytes(data: Any) -> bytes:
    """data as compact UTF-8 JSON; a pydantic model as its JSON form. Text that cannot be
    UTF-8 (a lone surrogate) is sent \\u-escaped instead of failing."""
    if isinstance(data, BaseModel):
        return data.model_dump_json().encode()
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


@dataclass
class Response:
    """A full response. ``body`` may be bytes, str (sent as text/html unless a Content-Type
    header says otherwise), or a JSON-able dict, list or pydantic model (application/json)."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    rotate_xsrf: bool = False

    def set_cookie(self, name: str, value: str, *, signed: bool = False, **options: Any) -> Response:
        """Set a cookie; options as Tornado's set_cookie (secure defaults are applied).
        signed=True signs the value with the newest SECRET_KEY (tamper-proof, not secret)."""
        self.cookies.append((name, value, {"signed": signed, **options}))
        return self

    def clear_cookie(self, name: str, **options: Any) -> Response:
        self.cookies.append((name, None, options))
        return self

    def rotate_xsrf_token(self) -> Response:
        """Send a fresh _xsrf cookie with this response (clients fetch the new token from
        GET /api/auth/csrf)."""
        self.rotate_xsrf = True
        return self

    def encoded_body(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            self.headers.setdefault("Content-Type", "text/html; charset=utf-8")
            return self.body.encode()
        self.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return json_bytes(self.body)


@dataclass
class FileResponse(Response):
    """A file from disk, read off the event loop and sent in chunks."""

    path: Path = Path()
    download_name: str | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if "Content-Type" not in self.headers:
            guessed, _ = mimetypes.guess_type(self.path.name)
            self.headers["Content-Type"] = guessed or "application/octet-stream"
        if self.download_name:
            safe = self.download_name.replace('"', "").replace("\\", "")
            self.headers["Content-Disposition"] = f'attachment; filename="{safe}"'


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=data, status=status, headers=dict(headers or {}))


def redirect(destination: str, status: int = 307) -> Response:
    if status not in (301, 302, 303, 307, 308):
        raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, not {status}")
    return Response(status=status, headers={"Location": destination})


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, headers=dict(headers or {}))


def file_response(
    path: str | Path,
    content_type: str | None = None,
    *,
    download_name: str | None = None,
    headers: dict[str, str] | None = None,
) -> FileResponse:
    all_headers = dict(headers or {})
    if content_type:
        all_headers["Content-Type"] = content_type
    return FileResponse(path=Path(path), headers=all_headers, download_name=download_name)
