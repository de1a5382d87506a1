"""Entry point: `python app.py [serve|promote EMAIL|routes] [--host] [--port] [--workers]`,
and make_app(), which puts the framework (core/) and the app (config, auth, dal, pages,
handlers) together: the settings, the Authenticator behind ACCESS, and the one map from
the data layer's refusals to HTTP answers (error_answer).

Settings come from the environment (config.py) and are checked once at start;
the database must be at the newest migration (`alembic upgrade head`) before serving.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path

import tornado.httpserver
import tornado.netutil
import tornado.web

import middleware as app_middleware
from auth.sessions import SessionAuth
from config import Settings, SettingsError, load_settings
from core.access import describe as describe_access
from core.application import build_application, load_routes
from core.errors import ApiError
from core.health import HealthHandler, ReadyHandler
from core.http import RateLimit
from core.mail import address_domain, transport_for
from core.media import MediaHandler
from core.pages import Middleware
from core.routing import RouteConflict
from core.server import make_server
from core.workers import run_workers
from dal import db as dal_db
from dal import errors
from dal import ratelimit as dal_ratelimit
from dal import users as dal_users
from dal.sender import Sender
from models.db import UNAVAILABLE_ERRORS, Database, head_revision

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("app")

# the data layer's refusals and the HTTP status that says each (the only such table)
STATUS_OF = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Unauthenticated: 401,
    errors.Conflict: 409,
    errors.InvalidInput: 400,
    errors.TooLarge: 413,
    errors.UnsupportedType: 415,
    errors.TooManyAttempts: 429,
}


def error_answer(exc: Exception) -> ApiError | None:
    """The answer for a domain error (dal.errors), or None for anything else (a bug: 500)."""
    status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), None)
    if status is None:
        return None
    extra: dict = {}
    headers = {}
    if isinstance(exc, errors.Conflict) and exc.field:
        extra["issues"] = [{"path": [exc.field], "message": exc.field_message}]
    if isinstance(exc, errors.TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return ApiError(status, exc.message, headers=headers, **extra)


def make_app(
    settings: Settings | None = None,
    *,
    pages_dir: Path = ROOT / "pages",
    handlers_dir: Path = ROOT / "handlers",
    middleware: Middleware | None = app_middleware.middleware,
    database: Database | None = None,
    autoreload: bool | None = None,
) -> tornado.web.Application:
    """The whole application; tests pass their own settings and fixture trees."""
    settings = settings or load_settings()
    db = database or Database(settings.database_url)
    uploads = upload_dir(settings)
    dal_db.configure(
        db, bcrypt_rounds=settings.bcrypt_rounds, session_mode=settings.session_mode, upload_dir=uploads
    )
    head = head_revision()

    async def ready() -> str | None:
        try:
            current = await db.revision()
        except Exception as exc:  # any driver error means "not reachable"
            return f"database unreachable: {type(exc).__name__}"
        if current != head:
            return f"database schema at {current}, expected {head}: run `alembic upgrade head`"
        return None

    app = build_application(
        settings,
        pages_dir=pages_dir,
        handlers_dir=handlers_dir,
        static_dir=ROOT / "static",
        middleware=middleware,
        extra_rules=[
            (r"/healthz", HealthHandler),
            (r"/readyz", ReadyHandler, {"check": ready}),
            (r"/media/(.+)", MediaHandler, {"path": str(uploads)}),
        ],
        autoreload=settings.development if autoreload is None else autoreload,
        auth=SessionAuth(settings.email_verification),
        error_answers=error_answer,
        unavailable_errors=UNAVAILABLE_ERRORS,
        openapi_title="Tornado Pages API",
        rate_limit=RateLimit(settings.api_rate_limit, 60, dal_ratelimit.hit),
        request_scope=dal_db.request_scope,
    )
    app.settings["app_settings"] = settings
    app.db = db
    return app


def check_routes() -> None:
    """Scan pages/ and handlers/ once before serving, so a conflict stops the start with its message."""
    load_routes(ROOT / "pages", ROOT / "handlers")


def print_routes() -> int:
    """python app.py routes: pattern, file, methods and access of every page and API route."""
    site, api_routes, table = load_routes(ROOT / "pages", ROOT / "handlers")
    rows = [("PATTERN", "FILE", "METHODS", "ACCESS", "NAME")]
    for named in table:
        route = named.route
        if named.prefix:
            methods = route.options["allowed"]
        else:
            methods = tuple(
                m
                for m, present in (
                    ("GET", route.template is not None or hasattr(route.module, "get_server_side_props")),
                    ("POST", hasattr(route.module, "action")),
                )
                if present
            )
        files = ", ".join(str(f.relative_to(ROOT)) for f in route.files)
        access = describe_access(route.options["access"], methods) if route.options["access"] else "public"
        rows.append(
            (
                named.prefix + route.pattern if route.pattern != "/" or not named.prefix else named.prefix,
                files,
                ", ".join(methods),
                access,
                named.name,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


async def schema_problem(settings: Settings) -> str | None:
    """Why the database cannot be served yet, or None."""
    db = Database(settings.database_url)
    try:
        current = await db.revision()
    except Exception as exc:
        return f"cannot reach the database at {settings.database_url}: {exc}"
    finally:
        await db.dispose()
    head = head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        return f"the database schema is behind ({state}, newest is {head}): run `alembic upgrade head` first"
    return None


GRACE_SECONDS = 20


async def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    settings = dataclasses.replace(settings, port=port)  # mail: links use it while APP_URL is unset
    app = make_app(settings, autoreload=settings.development and workers == 1)
    app.mail_sender = mail_sender(settings)  # mail: delivers the outbox from this process
    app.mail_sender.start()
    server = make_server(app, settings, max_body_size=app.max_body_size)
    server.add_sockets(tornado.netutil.bind_sockets(port, host, reuse_port=workers > 1))
    log.info("serving on http://%s:%s (%s, %s sessions)", host, port, settings.app_env, settings.session_mode)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await shut_down(app, server)


async def shut_down(app: tornado.web.Application, server: tornado.httpserver.HTTPServer) -> None:
    """Stop accepting, let the requests in flight finish (up to GRACE_SECONDS), close the
    remaining (idle) connections, wait for the requests' database scopes to end, then close
    the database pool."""
    log.info("shutting down: %d request(s) in flight", app.in_flight)
    server.stop()
    app.drained = asyncio.Event()  # BaseHandler sets it when the last request finishes
    if app.in_flight > 0:
        try:
            await asyncio.wait_for(app.drained.wait(), timeout=GRACE_SECONDS)
        except TimeoutError:
            log.warning("grace period over with %d request(s) still in flight", app.in_flight)
    try:
        await asyncio.wait_for(server.close_all_connections(), timeout=5)
    except TimeoutError:
        log.warning("some connections did not close in time")
    # a request whose client went away is no longer in flight but may still hold a database
    # connection until its loader or handler returns: let it give the connection back first
    try:
        async with asyncio.timeout(5):
            await dal_db.drained()
    except TimeoutError:
        log.warning("%d request(s) still held a database connection at shutdown", dal_db.open_scopes())
    if getattr(app, "mail_sender", None) is not None:
        await app.mail_sender.stop()  # mail: the delivery in progress ends before the pool closes
    await app.db.dispose()
    log.info("stopped")


def mail_sender(settings: Settings) -> Sender:
    """The background sender of the outbox (dal.sender) through MAIL_URL; serve() runs one."""
    transport = transport_for(settings.mail_url, local_hostname=address_domain(settings.mail_from))
    return Sender(
        transport,
        settings.mail_from,
        poll_seconds=settings.mail_poll_seconds,
        retry_seconds=settings.mail_retry_seconds,
    )


def upload_dir(settings: Settings) -> Path:
    """UPLOAD_DIR, relative to the project folder unless absolute."""
    path = Path(settings.upload_dir)
    return path if path.is_absolute() else ROOT / path


def promote(settings: Settings, email: str | None) -> int:
    """python app.py promote EMAIL: give an existing user the admin role."""
    if not email:
        print("Usage: python app.py promote EMAIL", file=sys.stderr)
        return 2

    async def run() -> int:
        db = Database(settings.database_url)
        dal_db.configure(
            db,
            bcrypt_rounds=settings.bcrypt_rounds,
            session_mode=settings.session_mode,
            upload_dir=upload_dir(settings),
        )
        try:
            user = await dal_users.promote(email)
        except errors.NotFound as exc:
            print(exc.message, file=sys.stderr)
            return 1
        finally:
            await db.dispose()
        print(f"{user.name} <{user.email}> is now an admin.")
        return 0

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "promote", "routes"])
    parser.add_argument("email", nargs="?", help="promote: the email of the user to make an admin")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes, each with its own SO_REUSEPORT socket (default: one per core in production, else 1)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    workers = (
        args.workers if args.workers is not None else (os.cpu_count() or 1 if settings.production else 1)
    )
    if workers < 1:
        parser.error("--workers must be at least 1")
    port = args.port if args.port is not None else settings.port
    if not 0 < port < 65536:
        parser.error("--port must be between 1 and 65535")

    try:
        if args.command == "routes":
            return print_routes()
        check_routes()
    except (RouteConflict, TypeError) as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 1
    problem = asyncio.run(schema_problem(settings))
    if problem:
        print(f"Cannot start: {problem}", file=sys.stderr)
        return 1

    if args.command == "promote":
        return promote(settings, args.email)
    if workers == 1:
        asyncio.run(serve(settings, args.host, port, 1))
        return 0
    if settings.development:
        log.info("autoreload is off with --workers > 1")
    return run_workers(workers, lambda _: asyncio.run(serve(settings, args.host, port, workers)))


if __name__ == "__main__":
    sys.exit(main())
