"""Shared fixtures: settings on a temp SQLite file, the fixture-tree app, and an HTTP client
that carries cookies and the XSRF token the way a browser would."""

from __future__ import annotations

import http.cookies
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import tornado.httpclient

from app import make_app
from config import Settings
from tests.dbutil import BACKENDS, TemplateDatabases

# the SMTP server and the app's mail sender (smtp, mail_settings, mailer)
pytest_plugins = ["tests.mail_helpers"]

FIXTURES = Path(__file__).parent / "fixtures"
SITE = FIXTURES / "site"
XSRF = "test-xsrf-token"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_keys": ("test-secret-key-0123456789-abcdefghijklmnop",),
        "app_env": "test",
        "bcrypt_rounds": 4,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes (APP_ENV, limits...): override this fixture there."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, settings_overrides) -> Settings:
    # the fixture site has no migrated database, so the database-backed API rate limit is off
    return make_settings(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", api_rate_limit=0, **settings_overrides)


def _site_middleware():
    import importlib.util

    spec = importlib.util.spec_from_file_location("site_middleware", SITE / "middleware.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.middleware


@pytest.fixture
def app(io_loop, settings):
    """The app built from tests/fixtures/site: one page or handler per routing rule."""
    application = make_app(
        settings,
        pages_dir=SITE / "pages",
        handlers_dir=SITE / "handlers",
        middleware=_site_middleware(),
        autoreload=False,
    )
    yield application
    io_loop.run_sync(application.live.close)  # live sockets and the change listener, if any
    io_loop.run_sync(application.db.dispose)


class Response:
    def __init__(self, raw: tornado.httpclient.HTTPResponse) -> None:
        self.url = raw.effective_url
        self.raw = raw
        self.status = raw.code
        self.headers = raw.headers
        self.body = raw.body or b""
        self.text = self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        assert self.headers.get("Content-Type") == "application/json; charset=utf-8", self.headers
        return json.loads(self.body)

    def data(self) -> Any:
        """The JSON a fixture page prints inside <pre id="data">...</pre>."""
        start = self.text.index('<pre id="data">') + len('<pre id="data">')
        end = self.text.index("</pre>", start)
        import html

        return json.loads(html.unescape(self.text[start:end]))


class Client:
    """Requests to the test server, never following redirects, sending the XSRF pair."""

    def __init__(self, http_client, base_url: str) -> None:
        self.http = http_client
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.seen: list[Response] = []  # every response, for checks across a whole flow

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str | None = None,
        json_body: Any = None,
        form: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        xsrf: bool = True,
        query: dict[str, str] | None = None,
    ) -> Response:
        all_headers = dict(headers or {})
        cookies = dict(self.cookies)
        if xsrf:
            cookies["_xsrf"] = XSRF
            all_headers.setdefault("X-XSRFToken", XSRF)
        if cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if json_body is not None:
            body = json.dumps(json_body)
            all_headers.setdefault("Content-Type", "application/json")
        elif form is not None:
            body = urlencode(form, doseq=True)
            all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        if query:
            path += ("&" if "?" in path else "?") + urlencode(query)
        raw = await self.http.fetch(
            self.base_url + path,
            method=method,
            body=body,
            headers=all_headers,
            follow_redirects=False,
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        response = Response(raw)
        self.remember_cookies(response)
        self.seen.append(response)
        return response

    def remember_cookies(self, response: Response) -> None:
        """Keep and drop cookies as a browser would."""
        for header in response.headers.get_list("Set-Cookie"):
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value

    def another(self) -> Client:
        """A second browser: same server, its own cookies."""
        return Client(self.http, self.base_url)

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Response:
        return await self.request("POST", path, **kwargs)


@pytest.fixture
def client(app, http_client, base_url) -> Client:
    # app is named here so that pytest sees its parameters (pytest-tornado asks for it by name)
    return Client(http_client, base_url)


def pytest_report_header(config) -> str:
    return f"databases under test: {os.environ.get('TEST_DATABASES', 'sqlite,postgresql')}"


# --- the real app on a migrated database, in both session modes ------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    """One database per backend migrated with `alembic upgrade head`, copied for each test."""
    templates = TemplateDatabases(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["database", "stateless"])
def session_mode(request) -> str:
    return request.param


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(migrated_templates, backend, tmp_path):
    with migrated_templates.copy(backend, tmp_path) as url:
        yield url


@pytest.fixture
def auth_settings(database_url, session_mode, tmp_path, settings_overrides) -> Settings:
    return make_settings(
        database_url, session_mode=session_mode, upload_dir=str(tmp_path / "uploads"), **settings_overrides
    )


@pytest.fixture
def real_app(io_loop, auth_settings):
    """The project's own pages, handlers and middleware on a fresh migrated database."""
    application = make_app(auth_settings)
    yield application
    io_loop.run_sync(application.live.close)  # live sockets and the change listener, if any
    io_loop.run_sync(application.db.dispose)


@pytest.fixture
def crowd(io_loop):
    """An HTTP client for many concurrent requests (one TCP connection each; the default
    client runs at most 10 at a time)."""
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=100)
    yield http
    http.close()


def pytest_collection_modifyitems(config, items):
    """The matrix (session mode x database) runs only where it can change the behaviour: a test
    marked one_session_mode runs in database mode only, one marked one_database on SQLite only
    (PostgreSQL stays wherever the database matters: SQL, locks, concurrency)."""
    kept, dropped = [], []
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        extra_mode = item.get_closest_marker("one_session_mode") and params.get("session_mode") == "stateless"
        extra_db = item.get_closest_marker("one_database") and params.get("backend") not in (None, "sqlite")
        (dropped if extra_mode or extra_db else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
