"""APP_ENV=development: error details are shown to the developer (never in test or production)."""

import pytest

pytestmark = pytest.mark.gen_test


@pytest.fixture
def settings_overrides():
    return {"app_env": "development"}


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
