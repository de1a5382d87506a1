"""The project's own error page (pages/_error.html) in development: a mistake the framework
named is shown as its sentence, anything else as a traceback; neither outside development."""

import shutil
from pathlib import Path

import pytest

from app import make_app

pytestmark = pytest.mark.gen_test

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["development", "test"])
def settings_overrides(request):
    return {"app_env": request.param}


@pytest.fixture
def app(io_loop, tmp_path, settings):
    pages = tmp_path / "pages"
    shutil.copytree(ROOT / "pages", pages)
    (pages / "oops").mkdir()
    (pages / "oops" / "result.py").write_text(
        'async def get_server_side_props(req):\n    return {"prop": 1}\n'
    )
    (pages / "oops" / "result.html").write_text("never\n")
    (pages / "oops" / "raise.py").write_text(
        "async def get_server_side_props(req):\n    raise KeyError('gone')\n"
    )
    (pages / "oops" / "raise.html").write_text("never\n")
    application = make_app(settings, pages_dir=pages, handlers_dir=tmp_path / "handlers", middleware=None)
    yield application
    io_loop.run_sync(application.db.dispose)


async def test_a_mistake_is_a_sentence_on_the_error_page_in_development(client, settings):
    response = await client.get("/oops/result")
    assert response.status == 500
    shown = (
        '<p class="mistake"><code>pages/oops/result.py: get_server_side_props() must return exactly one of'
    )
    if settings.development:
        assert shown in response.text
        assert (
            "Fix: return {&#39;props&#39;: {...}}, {&#39;redirect&#39;: {...}} or {&#39;not_found&#39;: True}"
            in (response.text)
        )
        assert "Traceback" not in response.text
    else:
        assert "mistake" not in response.text and "get_server_side_props" not in response.text


async def test_any_other_error_is_a_traceback_on_the_error_page_in_development(client, settings):
    response = await client.get("/oops/raise")
    assert response.status == 500
    assert ('<pre class="traceback">Traceback' in response.text) == settings.development
    assert ("KeyError: &#39;gone&#39;" in response.text) == settings.development
