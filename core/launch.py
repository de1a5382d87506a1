"""`python app.py`: under the development server in development (serving with one worker),
directly otherwise. Either way the app's module is imported here, so that a problem at start,
even a syntax error in a module app.py imports, is one message naming the file, the line and
the error ("Cannot start: dal/users.py, line 12: SyntaxError: ..."), with a non-zero exit code;
the development server's child also reports it to the server, which shows it on every request.

The entry script calls launch() before its own imports and provides main(argv) -> exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from core import devserver
from core.problems import describe
from core.settings import FrameworkSettings

DEFAULT_HOST = "127.0.0.1"


def launch(entry: Path, argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if devserver.child() is None and (address := supervised_address(argv, os.environ)):
        return devserver.Supervisor(entry, argv, *address).run()
    return run(entry, argv)


def run(entry: Path, argv: list[str]) -> int:
    """Import the entry's module and run its main(argv); a problem is reported, not raised."""
    try:
        module = importlib.import_module(entry.stem)
        return module.main(argv)
    except Exception as exc:
        problem = describe(exc, entry.parent, entry)
    if problem.traceback:
        sys.stderr.write(problem.traceback)
    print(f"{problem.prefix}{problem}", file=sys.stderr)
    devserver.report(problem)
    return problem.exit_code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise ValueError(message)  # no usage printed: the app's own parser will say it


def supervised_address(argv: list[str], env: Mapping[str, str]) -> tuple[str, int] | None:
    """(host, port) when `python app.py ARGV` serves in development with one worker: the case
    the development server runs. Anything unusual (help, a bad value) is left to the app's own
    command line, which reports it."""
    if (env.get("APP_ENV", "").strip() or "development") != "development":
        return None
    if "-h" in argv or "--help" in argv:
        return None
    parser = _Parser(add_help=False, exit_on_error=False)
    parser.add_argument("command", nargs="?", default="serve")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    try:
        args, rest = parser.parse_known_args(argv)
        port = args.port if args.port is not None else int(env.get("PORT", "") or FrameworkSettings.port)
    except (argparse.ArgumentError, ValueError):
        return None
    if rest or args.command != "serve" or args.workers not in (None, 1) or not 0 < port < 65536:
        return None
    return args.host, port
