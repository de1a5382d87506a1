"""Why the app cannot start, described for a person: the file, the line and the error.

`python app.py` prints it ("Cannot start: pages/x.py, line 3: SyntaxError: ..."), and the
development server shows it on every request until the file is fixed (core.devserver).
Problems the framework detects itself (a route conflict, a bad declaration, a setting) are
NamedProblems: their message already names the file and the fix, so they are shown as they
are, without a traceback. Anything else is located at the innermost frame of the app's own
code (not the framework's, not a library's).
"""

from __future__ import annotations

import linecache
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

CORE_DIR = Path(__file__).resolve().parent
# where libraries live (a virtualenv may sit inside the project): never the app's code
LIBRARIES = tuple({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()})


class NamedProblem(Exception):
    """A start-up problem whose message names the file (or the setting) and says the fix."""

    exit_code = 1  # what `python app.py` exits with
    prefix = "Cannot start: "  # what `python app.py` prints before the message
    retry = False  # True: the cause is outside the code (the database), worth retrying without a change


@dataclass(frozen=True)
class Problem:
    error: str  # "SyntaxError: '(' was never closed", or a NamedProblem's message
    file: str | None = None  # relative to the project when inside it
    line: int | None = None
    source: str | None = None  # the offending line of code
    traceback: str | None = None  # for errors the framework did not name itself
    prefix: str = NamedProblem.prefix
    exit_code: int = 1
    retry: bool = False

    def __str__(self) -> str:
        if self.file and self.line:
            return f"{self.file}, line {self.line}: {self.error}"
        if self.file:
            return f"{self.file}: {self.error}"
        return self.error


def _shown(filename: str, root: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return filename


def _inside(filename: str, folder: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def describe(exc: BaseException, root: Path, entry: Path | None = None) -> Problem:
    """exc as a Problem; root is the project folder, entry its start script (`app.py`), which
    like core/ is not where an app's mistake is reported."""
    root = root.resolve()
    if isinstance(exc, NamedProblem):
        return Problem(str(exc), prefix=exc.prefix, exit_code=exc.exit_code, retry=exc.retry)
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    if isinstance(exc, SyntaxError):
        # its own location (the traceback is the importer's); its text without the caret lines
        summary = f"{type(exc).__name__}: {exc.msg}"
        return Problem(
            summary,
            file=_shown(exc.filename, root) if exc.filename else None,
            line=exc.lineno,
            source=(exc.text or "").strip() or None,
        )
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if _inside(frame.filename, root) and not any(_inside(frame.filename, lib) for lib in LIBRARIES)
    ]
    app_frames = [
        frame
        for frame in frames
        if not _inside(frame.filename, CORE_DIR)
        and (entry is None or Path(frame.filename).resolve() != entry.resolve())
    ]
    where = (app_frames or frames or [None])[-1]
    text = "".join(traceback.format_exception(exc))
    if where is None:
        return Problem("\n".join(error), traceback=text)
    source = linecache.getline(where.filename, where.lineno or 0).strip() or None
    return Problem(
        "\n".join(error), file=_shown(where.filename, root), line=where.lineno, source=source, traceback=text
    )
