"""Avatars: an image per user, stored under a random name in the upload folder (not static/).

The type is read from the file's first bytes, never from its name or declared type. Replacing
or deleting an avatar removes the old file. Files are written off the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

from dal import db
from dal.dto import UserDTO
from dal.errors import InvalidInput, NotFound, TooLarge, UnsupportedType
from dal.users import avatar_url
from models import User

MAX_BYTES = 2 * 1024 * 1024
TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def sniff(data: bytes) -> str | None:
    """'png', 'jpg' or 'webp' from the magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def folder() -> Path:
    return db.state.upload_dir / "avatars"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


async def set_avatar(viewer: UserDTO, data: bytes) -> str:
    """Store data as the viewer's avatar; returns its URL. Refuses (and stores nothing): an
    empty file, more than 2 MB, anything but PNG, JPEG or WebP."""
    if not data:
        raise InvalidInput("The file is empty: choose a PNG, JPEG or WebP image.")
    if len(data) > MAX_BYTES:
        raise TooLarge("The image is larger than 2 MB: choose a smaller one.")
    kind = sniff(data)
    if kind is None:
        raise UnsupportedType("Avatars must be PNG, JPEG or WebP images.")
    name = f"{secrets.token_hex(16)}.{kind}"
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, _write, folder() / name, data)
    async with db.session() as session:
        user = await session.get(User, viewer.id)
        if user is None:
            await loop.run_in_executor(None, _remove, folder() / name)
            raise NotFound("User not found")
        old, user.avatar = user.avatar, name
        await session.commit()
    if old:
        await loop.run_in_executor(None, _remove, folder() / old)
    return avatar_url(name)


async def delete_avatar(viewer: UserDTO) -> None:
    async with db.session() as session:
        user = await session.get(User, viewer.id)
        if user is None:
            raise NotFound("User not found")
        old, user.avatar = user.avatar, None
        await session.commit()
    if old:
        await asyncio.get_running_loop().run_in_executor(None, _remove, folder() / old)
