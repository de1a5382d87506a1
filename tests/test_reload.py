"""The development server (APP_ENV=development, `python app.py`, one worker), against a real
process on a copy of the project that files are added to, broken and fixed: new, renamed and
deleted pages and routes take effect without a restart by hand; a syntax error, an import
error or a route conflict never stops the server, every request answers a page naming the
file, the line and the error until the fix, and production refuses to start with the same
message."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dbutil import alembic

ROOT = Path(__file__).resolve().parent.parent
COPY = [
    "app.py",
    "config.py",
    "middleware.py",
    "auth",
    "dal",
    "alembic.ini",
    "core",
    "models",
    "migrations",
    "pages",
    "handlers",
    "static",
    "mails",
]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def answer(url: str) -> tuple[int, str]:
    """Status and body, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def eventually(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the change never showed")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_project(folder: Path) -> Path:
    project = folder / "project"
    project.mkdir()
    for name in COPY:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    return project


@dataclass
class DevServer:
    project: Path
    process: subprocess.Popen
    port: int
    env: dict[str, str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, str]:
        return answer(self.base + path)

    def write(self, name: str, text: str) -> Path:
        path = self.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def shows(self, path: str, status: int, *texts: str) -> bool:
        code, body = self.get(path)
        return code == status and all(text in body for text in texts)

    def wait_for(self, path: str, status: int, *texts: str) -> None:
        eventually(lambda: self.shows(path, status, *texts))

    def problem(self) -> dict:
        """The development server's JSON answer while the app cannot start."""
        code, body = self.get("/api/anything")
        assert code == 500, body
        return json.loads(body)

    def production_start(self) -> subprocess.CompletedProcess:
        """`APP_ENV=production python app.py` on the same files, on another port."""
        env = {
            **self.env,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            # production's other requirements, so that only the broken file can refuse the start
            "BCRYPT_ROUNDS": "10",
            "APP_URL": "http://127.0.0.1:1",
            "MAIL_URL": "smtp://127.0.0.1:1",
        }
        return subprocess.run(
            [sys.executable, "app.py", "--port", str(free_port()), "--workers", "1"],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def start_dev_server(folder: Path, *, migrated: bool = True) -> DevServer:
    project = copy_project(folder)
    url = f"sqlite+aiosqlite:///{folder / 'dev.db'}"
    if migrated:
        assert alembic(url, "-c", str(project / "alembic.ini"), "upgrade", "head").returncode == 0
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "SECRET_KEY": "k" * 40}
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = DevServer(project, process, port, env)
    if migrated:
        eventually(lambda: "Pages are files" in fetch(server.base + "/"))
    return server


def stop(process: subprocess.Popen) -> int:
    process.terminate()
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    server = start_dev_server(tmp_path_factory.mktemp("dev"))
    yield server
    assert stop(server.process) == 0  # SIGTERM stops the server and its app cleanly


@pytest.fixture
def server(dev):
    """The shared development server, checked to be up and serving the app before and after."""
    assert dev.process.poll() is None
    yield dev
    assert dev.process.poll() is None, "the development server stopped"
    dev.wait_for("/", 200, "Pages are files")


def test_development_mode_reloads_templates_and_code(server):
    index = server.project / "pages" / "index.html"
    template = index.read_text()
    handler = server.project / "handlers" / "index.py"
    code = handler.read_text()
    try:
        index.write_text(template.replace("Pages are files", "Edited template"))
        eventually(lambda: "Edited template" in fetch(server.base + "/"))
        handler.write_text(code.replace('"status": "ok"', '"status": "edited"'))
        eventually(lambda: '"status":"edited"' in fetch(server.base + "/api"))
    finally:
        index.write_text(template)
        handler.write_text(code)


PAGE = """async def get_server_side_props(req):
    return {"props": {"word": "WORD"}}
"""
TEMPLATE = '{% extends "_layout.html" %}{% block content %}<p>said {{ word }}</p>{% endblock %}\n'


def test_new_renamed_and_deleted_pages_and_routes_take_effect_without_a_restart_by_hand(server):
    pages = server.project / "pages"
    try:
        server.write("pages/fresh/page.html", TEMPLATE)
        server.write("pages/fresh/page.py", PAGE.replace("WORD", "fresh"))
        server.write(
            "pages/fresh/alone.html", '{% extends "_layout.html" %}{% block content %}alone{% endblock %}'
        )
        server.write("handlers/fresh.py", 'async def get(req):\n    return {"fresh": True}\n')
        server.wait_for("/fresh/page", 200, "said fresh")
        assert server.shows("/fresh/alone", 200, "alone")
        assert server.shows("/api/fresh", 200, '{"fresh":true}')

        for suffix in (".py", ".html"):
            (pages / "fresh" / f"page{suffix}").rename(pages / "fresh" / f"moved{suffix}")
        server.wait_for("/fresh/moved", 200, "said fresh")
        assert server.get("/fresh/page")[0] == 404

        shutil.rmtree(pages / "fresh")
        (server.project / "handlers" / "fresh.py").unlink()
        server.wait_for("/fresh/moved", 404)
        assert server.get("/fresh/alone")[0] == 404
        assert server.get("/api/fresh")[0] == 404
    finally:
        shutil.rmtree(pages / "fresh", ignore_errors=True)
        (server.project / "handlers" / "fresh.py").unlink(missing_ok=True)


BROKEN_LOADER = """async def get_server_side_props(req):
    word = "broken"
    return {"props": {"word": (word}}
"""


def assert_shows_the_problem(server: DevServer, where: str, error: str) -> dict:
    """Every request, page or API, answers the development error page naming where and error."""
    for path in ("/", "/dashboard", "/no/such/page"):
        code, body = server.get(path)
        assert code == 500 and "The app cannot start" in body, body
        assert where in body and error in body, body
    problem = server.problem()
    assert where in problem["error"] and error in problem["error"], problem
    assert server.process.poll() is None
    return problem


def test_a_syntax_error_in_a_loader_is_shown_until_it_is_fixed(server):
    server.write("pages/broken.html", TEMPLATE)
    try:
        server.write("pages/broken.py", BROKEN_LOADER)
        server.wait_for("/", 500, "The app cannot start")
        problem = assert_shows_the_problem(server, "pages/broken.py, line 3", "SyntaxError")
        assert (problem["file"], problem["line"]) == ("pages/broken.py", 3)
        assert problem["source"] == 'return {"props": {"word": (word}}'

        refused = server.production_start()
        assert refused.returncode == 1
        assert refused.stderr.strip() == "Cannot start: " + problem["error"].removeprefix(
            "The app cannot start: "
        )

        server.write("pages/broken.py", BROKEN_LOADER.replace("(word}", "word}"))
        server.wait_for("/broken", 200, "said broken")
    finally:
        (server.project / "pages" / "broken.py").unlink()
        (server.project / "pages" / "broken.html").unlink()


def test_a_syntax_error_in_the_data_layer_is_shown_until_it_is_fixed(server):
    users = server.project / "dal" / "users.py"
    source = users.read_text()
    line = len(source.splitlines()) + 1
    try:
        users.write_text(source + "def broken(:\n")
        server.wait_for("/", 500, "The app cannot start")
        problem = assert_shows_the_problem(server, f"dal/users.py, line {line}", "SyntaxError")
        assert (problem["file"], problem["line"]) == ("dal/users.py", line)

        refused = server.production_start()
        assert refused.returncode == 1
        assert refused.stderr.strip() == "Cannot start: " + problem["error"].removeprefix(
            "The app cannot start: "
        )
    finally:
        users.write_text(source)


ROUTE_PROBLEMS = [
    # (files written, what the page and the start-up message name)
    ({"pages/x/[a].py": PAGE, "pages/x/[b].py": PAGE}, "pages/x/[a].py and pages/x/[b].py both serve /x/"),
    (
        {"handlers/cased.py": "async def Get(req):\n    return {}\n"},
        "handlers/cased.py defines Get; API functions are lower-case: get, post, put, patch, delete",
    ),
    (
        {"pages/linker.html": "{{ url_for('no/such/route') }}\n"},
        "pages/linker.html:1: no route is named 'no/such/route'",
    ),
    (
        {"handlers/guarded.py": 'ACCESS = "users"\n\n\nasync def get(req):\n    return {}\n'},
        "handlers/guarded.py: ACCESS = 'users'; use one of 'public', 'user', 'admin', 'guest'",
    ),
    ({"pages/importer.py": "from dal.users import no_such_name\n"}, "pages/importer.py, line 1: ImportError"),
]


def test_route_problems_and_import_errors_are_shown_naming_the_files_until_fixed(server):
    """One after the other: a route conflict, a wrongly cased API function, a link to an unknown
    route, a bad ACCESS, an import error; then the fix."""
    written: list[Path] = []
    try:
        for number, (files, named) in enumerate(ROUTE_PROBLEMS):
            for path in written:
                path.unlink()
            written = [server.write(name, text) for name, text in files.items()]
            server.wait_for("/api/anything", 500, named)
            code, page = server.get("/")
            assert code == 500 and "The app cannot start" in page
            for piece in named.split(": ", 1):  # the file (and line) and the error: apart on the page
                assert piece.replace("'", "&#x27;") in page, page
            assert server.process.poll() is None
            if number == 0:
                problem = server.problem()["error"]
                refused = server.production_start()
                assert refused.returncode == 1
                assert refused.stderr.strip() == "Cannot start: " + problem.removeprefix(
                    "The app cannot start: "
                )
    finally:
        for path in written:
            path.unlink()
        shutil.rmtree(server.project / "pages" / "x", ignore_errors=True)


def test_requests_during_restarts_are_never_refused(server):
    """The socket stays bound: a request that arrives while the app restarts waits for it."""
    outcomes: Counter[str] = Counter()
    counting = threading.Lock()
    done = threading.Event()

    def count(outcome: str) -> None:
        with counting:
            outcomes[outcome] += 1

    def hammer() -> None:
        while not done.is_set():
            for attempt in range(3):  # best effort: a retry is allowed, a refused connection is not
                try:
                    with urllib.request.urlopen(server.base + "/healthz", timeout=30) as response:
                        count(str(response.status))
                    break
                except ConnectionRefusedError:
                    count("refused")
                    break
                except OSError as exc:
                    count(f"retried {type(exc).__name__}")
                    if attempt == 2:
                        count("failed")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for restart in range(2):
            server.write("pages/marker.html", TEMPLATE)
            server.write("pages/marker.py", PAGE.replace("WORD", f"restart {restart}"))
            server.wait_for("/marker", 200, f"said restart {restart}")
    finally:
        done.set()
        for thread in threads:
            thread.join()
        for name in ("marker.py", "marker.html"):
            (server.project / "pages" / name).unlink()
    assert outcomes["refused"] == 0 and outcomes["failed"] == 0, outcomes
    assert outcomes["200"] > 0, outcomes


def test_a_port_in_use_is_one_line_naming_port_and_PORT(server):
    port, other = server.port, server.port + 1
    for app_env, workers in (("development", "1"), ("test", "1"), ("test", "2")):
        result = subprocess.run(
            [sys.executable, "app.py", "--port", str(port), "--workers", workers],
            cwd=server.project,
            env={**server.env, "APP_ENV": app_env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1, result
        assert result.stderr == f"Port {port} is in use: choose another with --port {other} or PORT={other}\n"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])  # SIGTERM: the dev fixture's end
def test_a_signal_stops_the_server_and_its_app(tmp_path, sig):
    server = start_dev_server(tmp_path)
    server.process.send_signal(sig)
    code = server.process.wait(timeout=30)
    if sig != signal.SIGKILL:
        assert code == 0
    # the app's process is gone too (killed, the server leaves no orphan): the port is free

    def port_is_free() -> bool:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past closed connections' TIME_WAIT
            try:
                sock.bind(("127.0.0.1", server.port))
                sock.listen()
            except OSError:
                return False
            return True

    eventually(port_is_free, timeout=15)


def test_a_database_behind_its_schema_is_shown_and_retried_until_migrated(tmp_path):
    server = start_dev_server(tmp_path, migrated=False)
    try:
        server.wait_for("/", 500, "The app cannot start", "alembic upgrade head")
        assert "the database schema is behind" in server.problem()["error"]
        url = server.env["DATABASE_URL"]
        assert alembic(url, "-c", str(server.project / "alembic.ini"), "upgrade", "head").returncode == 0
        server.wait_for("/", 200, "Pages are files")  # no file changed: the server tried again by itself
    finally:
        assert stop(server.process) == 0


def test_bad_settings_still_stop_the_development_server_at_start(tmp_path):
    """The environment is fixed at launch: no change to a file can fix it."""
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": "sqlite:///app.db", "SECRET_KEY": "k" * 40}
    result = subprocess.run(
        [sys.executable, "app.py", "--port", str(free_port())],
        cwd=copy_project(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL='sqlite:///app.db' must be an async SQLAlchemy URL" in result.stderr
    assert "Traceback" not in result.stderr
