"""Routes by name: url_for in templates and code, the start-up check of every literal call,
errors that name the file, and `python app.py routes`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.application import load_routes
from core.routing import RouteConflict
from tests.dbutil import ROOT


def tree(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "pages").mkdir(exist_ok=True)
    (tmp_path / "handlers").mkdir(exist_ok=True)
    return tmp_path / "pages", tmp_path / "handlers"


def test_url_for_fills_params_encodes_them_and_adds_the_rest_as_the_query(tmp_path):
    pages, handlers = tree(
        tmp_path,
        {
            "pages/index.html": "home",
            "pages/posts/[id].html": "post",
            "pages/docs/[...slug].html": "doc",
            "pages/shop/[[...path]].html": "shop",
            "handlers/posts/[id].py": "async def get(req):\n    return {}\n",
            "handlers/index.py": "async def get(req):\n    return {}\n",
        },
    )
    _site, _api, table = load_routes(pages, handlers)
    assert table.url_for("index") == "/"
    assert table.url_for("posts/[id]", id=3) == "/posts/3"
    assert table.url_for("posts/[id]", id="a b/c", page=2) == "/posts/a%20b%2Fc?page=2"
    assert table.url_for("docs/[...slug]", slug=["a", "b"]) == "/docs/a/b"
    assert table.url_for("shop/[[...path]]") == "/shop"
    assert table.url_for("api/posts/[id]", id=7) == "/api/posts/7"
    assert table.url_for("api") == "/api"
    assert table.url_for("index", next=None) == "/"  # None params are left out


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"pages/a.html": "<a href=\"{{ url_for('nowhere') }}\">x</a>"},
            "pages/a.html:1: no route is named 'nowhere'",
        ),
        (
            {"pages/a.html": "x", "pages/b/[id].html": "\n{{ url_for('b/[id]') }}"},
            "pages/b/[id].html:2: url_for('b/[id]') misses the param 'id'",
        ),
        (
            {
                "pages/a.html": "x",
                "pages/a.py": "async def get_server_side_props(req):\n"
                "    return {'redirect': {'destination': req.url_for('ab'), 'permanent': False}}\n",
            },
            "a.py:2: no route is named 'ab' (did you mean 'a'?)",
        ),
        (
            {"handlers/x.py": "async def get(req):\n    return {'next': req.url_for('api/y')}\n"},
            "x.py:2: no route is named 'api/y'",
        ),
    ],
)
def test_a_link_to_an_unknown_route_stops_the_start_naming_the_file(tmp_path, files, message):
    pages, handlers = tree(tmp_path, files)
    with pytest.raises(RouteConflict) as caught:
        load_routes(pages, handlers)
    assert message in str(caught.value)


def test_the_project_links_only_to_routes_that_exist():
    load_routes(ROOT / "pages", ROOT / "handlers")  # raises on any bad literal url_for


@pytest.fixture
def app(io_loop, settings, tmp_path):
    """A site whose template links to a route named at render time (not checkable at start)."""
    from app import make_app

    pages, handlers = tree(
        tmp_path,
        {
            "pages/dynamic.html": "{{ url_for(target) }}",
            "pages/dynamic.py": "async def get_server_side_props(req):\n"
            "    return {'props': {'target': req.query.get('to', 'dynamic')}}\n",
        },
    )
    application = make_app(settings, pages_dir=pages, handlers_dir=handlers, middleware=None)
    yield application
    io_loop.run_sync(application.db.dispose)


@pytest.mark.gen_test
async def test_a_bad_name_at_render_is_a_500_whose_log_names_the_template(client, caplog):
    assert (await client.get("/dynamic")).text == "/dynamic"
    broken = await client.get("/dynamic?to=elsewhere")
    assert broken.status == 500
    assert "dynamic.html: url_for: no route is named 'elsewhere'" in caplog.text


def test_python_app_py_routes_prints_pattern_file_methods_and_access():
    result = subprocess.run(
        [sys.executable, "app.py", "routes"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PATTERN", "FILE", "METHODS", "ACCESS", "NAME"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "pages/dashboard.py" in rows["/dashboard"] and " user " in rows["/dashboard"]
    assert "GET, POST" in rows["/admin"] and " admin " in rows["/admin"]
    assert " guest " in rows["/login"]
    assert "handlers/me.py" in rows["/api/me"] and "GET, HEAD" in rows["/api/me"]
    assert "GET public, POST user" in rows["/api/posts"]
