"""APP_ENV=development: error details are shown to the developer (never in test or production)."""

import pytest

from app import make_app
from tests.conftest import SITE, make_settings

pytestmark = pytest.mark.gen_test


@pytest.fixture
def app(io_loop, tmp_path):
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}", app_env="development", api_rate_limit=0
    )
    application = make_app(
        settings, pages_dir=SITE / "pages", handlers_dir=SITE / "handlers", middleware=None, autoreload=False
    )
    yield application
    io_loop.run_sync(application.db.dispose)


async def test_a_loader_error_shows_its_traceback_in_development(client):
    response = await client.get("/loader/boom")
    assert response.status == 500
    assert "Traceback" in response.text
    assert "loader exploded: secret detail" in response.text


async def test_a_handler_error_shows_its_message_in_development(client):
    response = await client.get("/api/responses?kind=boom")
    assert response.status == 500
    assert response.json() == {
        "error": "Internal server error",
        "detail": "RuntimeError: handler exploded: secret detail",
    }
