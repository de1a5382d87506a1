"""Entry point: `python app.py [serve|promote EMAIL|routes] [--host] [--port] [--workers]`,
and make_app(), which puts the framework (core/) and the app (config, auth, dal, pages,
handlers) together: the settings, the Authenticator behind ACCESS, and the one map from
the data layer's refusals to HTTP answers (error_answer).

Settings come from the environment (config.py) and are checked once at start;
the database must be at the newest migration (`alembic upgrade head`) before serving.
A problem at start is one line, "Cannot start: ..." (core.launch); in development,
`python app.py` (one worker) runs under the development server (core.devserver), which
restarts the app when a file changes and shows such a problem on every request instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Before the app's own imports: a broken module (a syntax error in dal/, say) is then
    # reported as "Cannot start: FILE, line N: ...", and in development the server stays up
    # and shows it until the file is fixed (core.launch, core.devserver).
    from core.launch import launch

    sys.exit(launch(Path(__file__)))

import argparse
import asyncio
import dataclasses
import logging
import os
import signal
import socket

import tornado.httpserver
import tornado.web

import middleware as app_middleware
from auth.sessions import SessionAuth
from config import Settings, load_settings
from core import devserver
from core.access import describe as describe_access
from core.application import build_application, load_routes
from core.errors import ApiError
from core.health import HealthHandler, ReadyHandler
from core.http import RateLimit
from core.launch import DEFAULT_HOST
from core.live.hub import LiveOptions
from core.mail import address_domain, transport_for
from core.media import MediaHandler
from core.pages import Middleware
from core.problems import NamedProblem
from core.server import listen, make_server
from core.workers import run_workers
from dal import changes as dal_changes
from dal import db as dal_db
from dal import errors
from dal import ratelimit as dal_ratelimit
from dal import two_factor as dal_two_factor
from dal import users as dal_users
from dal.sender import Sender
from models.db import UNAVAILABLE_ERRORS, Database, head_revision

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("app")

# the data layer's refusals and the HTTP status that says each (the only such table)
STATUS_OF = {
    errors.ReauthRequired: 403,
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Unauthenticated: 401,
    errors.Conflict: 409,
    errors.InvalidInput: 400,
    errors.TooLarge: 413,
    errors.UnsupportedType: 415,
    errors.TooManyAttempts: 429,
    errors.NotAvailable: 503,
}


REAUTH_PAGE = "/reauth"


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
    if isinstance(exc, errors.ReauthRequired):
        # the API says so in the body; a page sends the visitor to re-authenticate and back
        return ApiError(status, exc.message, pages_to=REAUTH_PAGE, reauth_required=True)
    return ApiError(status, exc.message, headers=headers, **extra)


def make_app(
    settings: Settings | None = None,
    *,
    pages_dir: Path = ROOT / "pages",
    handlers_dir: Path = ROOT / "handlers",
    middleware: Middleware | None = app_middleware.middleware,
    database: Database | None = None,
    autoreload: bool = False,
) -> tornado.web.Application:
    """The whole application; tests pass their own settings and fixture trees. (Tornado's
    in-process autoreload stays off: in development core.devserver restarts the app.)"""
    settings = settings or load_settings()
    db = database or Database(settings.database_url)
    uploads = upload_dir(settings)
    dal_db.configure(
        db, bcrypt_rounds=settings.bcrypt_rounds, session_mode=settings.session_mode, upload_dir=uploads
    )
    dal_two_factor.configure(settings.secret_keys)
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
        autoreload=autoreload,
        auth=SessionAuth(settings.email_verification),
        error_answers=error_answer,
        unavailable_errors=UNAVAILABLE_ERRORS,
        openapi_title="Tornado Pages API",
        rate_limit=RateLimit(settings.api_rate_limit, 60, dal_ratelimit.hit),
        request_scope=dal_db.request_scope,
        live=live_options(settings),
    )
    app.settings["app_settings"] = settings
    app.db = db
    return app


def live_options(settings: Settings) -> LiveOptions:
    """Live pages (core.live): the limits, and the DAL's announcements as their fan-out."""
    return LiveOptions(
        per_user=settings.live_sockets_per_user,
        per_process=settings.live_sockets_per_process,
        idle_seconds=settings.live_idle_seconds,
        heartbeat_seconds=settings.live_heartbeat_seconds,
        fanout=dal_changes.Fanout(),
    )


class DatabaseNotReady(NamedProblem):
    """The database is unreachable or its schema is behind ("Cannot start: ..."): no code
    change fixes it, so the development server tries again by itself."""

    retry = True


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
ACCEPTED_SECONDS = 0.1


async def serve(settings: Settings, sockets: list[socket.socket]) -> None:
    port = sockets[0].getsockname()[1]
    settings = dataclasses.replace(settings, port=port)  # mail: links use it while APP_URL is unset
    app = make_app(settings)
    app.mail_sender = mail_sender(settings)  # mail: delivers the outbox from this process
    app.mail_sender.start()
    server = make_server(app, settings, max_body_size=app.max_body_size)
    server.add_sockets(sockets)
    app.live.start()  # live pages: this worker hears changes (LISTEN, or the SQLite change log)
    host, port = sockets[0].getsockname()[:2]
    log.info(
        "serving on http://%s:%s (%s, %s sessions)",
        f"[{host}]" if ":" in host else host,
        port,
        settings.app_env,
        settings.session_mode,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    devserver.on_supervisor_exit(stop.set)
    await stop.wait()
    await shut_down(app, server)


async def shut_down(app: tornado.web.Application, server: tornado.httpserver.HTTPServer) -> None:
    """Stop accepting, let the requests in flight finish (up to GRACE_SECONDS), close the
    remaining (idle) connections, wait for the requests' database scopes to end, then close
    the database pool."""
    server.stop()
    await app.live.close()  # live pages: every socket closes with 1001 "going away" first
    # a connection accepted just before the stop has its request on the way: let it arrive and
    # count as in flight (answered), rather than close the connection under it
    await asyncio.sleep(ACCEPTED_SECONDS)
    log.info("shutting down: %d request(s) in flight", app.in_flight)
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
    """The command line (run through core.launch, which reports what this raises: a setting,
    a route conflict, a database that is not ready, a port in use)."""
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "promote", "routes"])
    parser.add_argument("email", nargs="?", help="promote: the email of the user to make an admin")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes, each with its own SO_REUSEPORT socket (default: one per core in production, else 1)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    settings = load_settings()
    workers = (
        args.workers if args.workers is not None else (os.cpu_count() or 1 if settings.production else 1)
    )
    if workers < 1:
        parser.error("--workers must be at least 1")
    port = args.port if args.port is not None else settings.port
    if not 0 < port < 65536:
        parser.error("--port must be between 1 and 65535")

    if args.command == "routes":
        return print_routes()
    sockets = None
    if args.command == "serve":  # the port first: the one problem that says nothing about the app
        sockets = devserver.inherited_sockets() or listen(args.host, port)
        if workers > 1:  # each worker binds its own: this only checks that no other server has the port
            for sock in sockets:
                sock.close()
    check_routes()
    problem = asyncio.run(schema_problem(settings))
    if problem:
        raise DatabaseNotReady(problem)

    if args.command == "promote":
        return promote(settings, args.email)
    if workers == 1:
        asyncio.run(serve(settings, sockets))
        return 0
    if settings.development:
        log.info("the development server's restarts are off with --workers > 1")
    return run_workers(
        workers, lambda _: asyncio.run(serve(settings, listen(args.host, port, reuse_port=True)))
    )
