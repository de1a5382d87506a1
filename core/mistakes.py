"""Mistakes in route code that the framework can name, and the fix it suggests: a value that is
not JSON (with its key path and what to turn it into), a forgotten ``await``.

A RouteMistake is answered 500; its message (file, function, what is wrong, the fix) is
logged, and shown on the development error page instead of a traceback of the framework.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import inspect
import math
import uuid
from typing import Any

AWAIT = "did you forget `await`?"


class RouteMistake(Exception):
    """Route code did something the framework can name; the message says the file and the fix."""


def with_fix(message: str, fix: str) -> str:
    """ "message. Fix: fix", or "message: fix?" when the fix is a question."""
    return f"{message}: {fix}" if fix.endswith("?") else f"{message}. Fix: {fix}"


def unserialisable_path(
    value: Any, path: str = "", *, dataclasses_allowed: bool = True
) -> tuple[str, Any] | None:
    """The key path (".user.created_at", ".tags[2]") and value of the first thing that is not
    plain JSON, or None. Dataclass DTOs count as objects whose fields must be plain JSON too
    (templates read them), unless dataclasses_allowed is False (what json.dumps accepts)."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or ".", value)
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if found := unserialisable_path(item, f"{path}[{i}]", dataclasses_allowed=dataclasses_allowed):
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}[{key!r}]", key
            if found := unserialisable_path(item, f"{path}.{key}", dataclasses_allowed=dataclasses_allowed):
                return found
        return None
    if dataclasses_allowed and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if found := unserialisable_path(getattr(value, f.name), f"{path}.{f.name}"):
                return found
        return None
    return path or ".", value


def fix_for(value: Any) -> str:
    """What to turn a value that is not JSON into."""
    if inspect.iscoroutine(value):
        return AWAIT
    if isinstance(value, float):
        return "use None or a finite number"
    if value is None or isinstance(value, (str, int, tuple)):  # only a dict key is reported as these
        return "use string keys, e.g. str(key)"
    if isinstance(value, (datetime.date, datetime.time)):
        return "convert it to a string, e.g. value.isoformat()"
    if isinstance(value, (set, frozenset)):
        return "convert it to a list, e.g. sorted(value)"
    if isinstance(value, (bytes, bytearray)):
        return "decode it to a string, e.g. value.decode()"
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return "convert it to a string, e.g. str(value)"
    if isinstance(value, enum.Enum):
        return "use its value, e.g. value.value"
    if dataclasses.is_dataclass(value):
        return "convert it to a dict, e.g. dataclasses.asdict(value), or return a pydantic model"
    return "return plain data: dicts, lists, strings, numbers, booleans and None"


def not_json(value: Any, *, dataclasses_allowed: bool = True) -> str | None:
    """ "at .user.created_at (datetime). Fix: ..." for the first part of value that is not JSON,
    or None; coroutines found in value are closed (they will never run)."""
    found = unserialisable_path(value, dataclasses_allowed=dataclasses_allowed)
    if found is None:
        return None
    close_coroutines(value)
    path, bad = found
    return with_fix(f"at {path} ({type(bad).__name__})", fix_for(bad))


def close_coroutines(value: Any) -> None:
    """Close every coroutine inside value that was never started: it never will be, and closing
    it spares the "coroutine ... was never awaited" warning (the mistake is reported instead)."""
    if inspect.iscoroutine(value):
        if inspect.getcoroutinestate(value) == inspect.CORO_CREATED:
            value.close()
    elif isinstance(value, dict):
        for item in value.values():
            close_coroutines(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            close_coroutines(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            close_coroutines(getattr(value, f.name))


def note_forgotten_await(exc: BaseException, where: str) -> None:
    """For "'coroutine' object has no attribute ..." (and the like) raised in route code: add the
    likely cause to the exception (shown with its traceback), and close the coroutines never
    started that the failing frames hold."""
    if not isinstance(exc, (AttributeError, TypeError)) or "'coroutine' object" not in str(exc):
        return
    exc.add_note(f"{where} used a coroutine as a value: {AWAIT}")
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if inspect.iscoroutine(value):
                close_coroutines(value)
        tb = tb.tb_next
