"""Avatars: an image per user, stored under a random name in the upload folder (not static/).

The type is read from the file's first bytes, never from its name or declared type. Files are
written off the event loop.

No file is left behind, however many uploads and deletes of one user run at once: the column
changes by compare-and-swap (UPDATE ... WHERE avatar IS the value read, retried when another
request changed it in between), so each request knows exactly which file it replaced and
removes that one; a new file whose row could not be written is removed too. At any moment
the folder holds, per user, the referenced file and the files of uploads still in flight.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

from sqlalchemy import select, update

from dal import changes, db
from dal.dto import UserDTO
from dal.errors import InvalidInput, NotFound, TooLarge, UnsupportedType
from dal.users import avatar_url, topics
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


async def _swap(user_id: int, new: str | None) -> str | None:
    """Set the user's avatar to new and return the file name it replaced, atomically: the
    update only applies if the column still holds what was read, else read again."""
    while True:
        async with db.read() as session:
            found = (await session.execute(select(User.avatar).where(User.id == user_id))).first()
        if found is None:
            raise NotFound("User not found")
        old = found.avatar
        async with db.session() as session:
            result = await session.execute(
                update(User)
                .where(User.id == user_id, User.avatar.is_not_distinct_from(old))
                .values(avatar=new)
            )
            if result.rowcount == 1:
                changes.announce(session, *topics(user_id))
            await session.commit()
        if result.rowcount == 1:
            return old


async def _run(function, *args) -> None:  # noqa: ANN001
    await asyncio.get_running_loop().run_in_executor(None, function, *args)


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
    await _run(_write, folder() / name, data)
    try:
        old = await _swap(viewer.id, name)
    except BaseException:
        await _run(_remove, folder() / name)  # never referenced: not kept
        raise
    if old:
        await _run(_remove, folder() / old)
    return avatar_url(name)


async def delete_avatar(viewer: UserDTO) -> None:
    old = await _swap(viewer.id, None)
    if old:
        await _run(_remove, folder() / old)
