"""Entry point: `python app.py [serve] [--host] [--port] [--workers]`, and make_app().

Settings come from the environment (core/settings.py) and are checked once at start;
the database must be at the newest migration (`alembic upgrade head`) before serving.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import tornado.httpserver
import tornado.netutil
import tornado.web

import middleware as app_middleware
from auth.sessions import authenticate
from core.api import load_api_routes
from core.application import build_application
from core.errors import ApiError
from core.health import HealthHandler, ReadyHandler
from core.media import MediaHandler
from core.pages import Middleware, PageSite
from core.routing import RouteConflict
from core.settings import Settings, SettingsError, load_settings
from core.workers import run_workers
from core.wrappers import with_cors, with_rate_limit
from dal import db as dal_db
from dal import ratelimit as dal_ratelimit
from dal import users as dal_users
from models.db import UNAVAILABLE_ERRORS, Database, head_revision

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("app")


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
        authenticate=authenticate,
        login_url="/login",
        unavailable_errors=UNAVAILABLE_ERRORS,
        openapi_title="Tornado Pages API",
        api_wrappers=[
            with_cors(settings.cors_origins),
            with_rate_limit(settings.api_rate_limit, 60, dal_ratelimit.hit),
        ],
    )
    app.settings["app_settings"] = settings
    app.db = db
    return app


def check_routes() -> None:
    """Scan pages/ and handlers/ once before serving, so a conflict stops the start with its message."""
    PageSite(ROOT / "pages", None, development=False)
    load_api_routes(ROOT / "handlers")


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
    app = make_app(settings, autoreload=settings.development and workers == 1)
    server = tornado.httpserver.HTTPServer(app, xheaders=False, max_body_size=app.max_body_size)
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
    remaining (idle) connections and the database pool."""
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
    await app.db.dispose()
    log.info("stopped")


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
        except ApiError as exc:
            print(exc.message, file=sys.stderr)
            return 1
        finally:
            await db.dispose()
        print(f"{user.name} <{user.email}> is now an admin.")
        return 0

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "promote"])
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
