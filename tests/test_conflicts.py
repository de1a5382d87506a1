"""Route trees that cannot be routed stop the app at start, naming both files."""

from pathlib import Path

import pytest

from app import make_app
from core.routing import RouteConflict


def tree(root: Path, *files: str) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{% extends "_layout.html" %}' if name.endswith(".html") else "")
    return root


def build(settings, pages: Path | None = None, handlers: Path | None = None):
    return make_app(
        settings,
        pages_dir=pages or Path("/nonexistent"),
        handlers_dir=handlers or Path("/nonexistent"),
        middleware=None,
    )


@pytest.mark.parametrize(
    "files, named",
    [
        (["posts/[id].html", "posts/[slug].html"], ["posts/[id].html", "posts/[slug].html"]),
        (["posts/[id].html", "posts/[slug]/edit.html"], ["posts/[id].html", "posts/[slug]/edit.html"]),
        (["docs/[...a].html", "docs/[[...a]].html"], ["docs/[...a].html", "docs/[[...a]].html"]),
        (["docs/[...a].html", "docs/[...b].html"], ["docs/[...a].html", "docs/[...b].html"]),
        (["about.html", "about/index.html"], ["about.html", "about/index.html"]),
    ],
)
def test_conflicting_pages_stop_the_app_naming_both_files(settings, tmp_path, files, named):
    pages = tree(tmp_path / "pages", "_layout.html", *files)
    with pytest.raises(RouteConflict) as caught:
        build(settings, pages=pages)
    for name in named:
        assert f"pages/{name}" in str(caught.value)


def test_a_catch_all_must_be_last(settings, tmp_path):
    pages = tree(tmp_path / "pages", "[...a]/b.html")
    with pytest.raises(RouteConflict, match=r"pages/\[\.\.\.a\]/b\.html.*must be the last segment"):
        build(settings, pages=pages)


def test_conflicting_api_routes_stop_the_app(settings, tmp_path):
    handlers = tmp_path / "handlers"
    for name in ("items/[id].py", "items/[key].py"):
        (handlers / name).parent.mkdir(parents=True, exist_ok=True)
        (handlers / name).write_text("async def get(req):\n    return {}\n")
    with pytest.raises(RouteConflict) as caught:
        build(settings, handlers=handlers)
    assert "handlers/items/[id].py" in str(caught.value) and "handlers/items/[key].py" in str(caught.value)


def test_an_api_module_must_use_async_functions(settings, tmp_path):
    handlers = tmp_path / "handlers"
    handlers.mkdir()
    (handlers / "sync.py").write_text("def get(req):\n    return {}\n")
    with pytest.raises(TypeError, match="sync.py: get must be defined with 'async def'"):
        build(settings, handlers=handlers)


def test_a_dynamic_and_a_catch_all_may_share_a_level(settings, tmp_path):
    pages = tree(tmp_path / "pages", "_layout.html", "files/[id].html", "files/[...rest].html")
    app = build(settings, pages=pages)
    assert [r.pattern for r in app.site.routes] == ["/files/[id]", "/files/[...rest]"]
