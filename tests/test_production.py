"""APP_ENV=production: no error details leave the server, every cookie is Secure."""

import pytest

pytestmark = pytest.mark.gen_test


@pytest.fixture
def settings_overrides():
    return {"app_env": "production"}


async def test_a_loader_error_shows_no_detail(client):
    response = await client.get("/loader/boom")
    assert response.status == 500
    assert "fixture 500 page" in response.text
    assert "secret detail" not in response.text and "Traceback" not in response.text


async def test_a_handler_error_shows_no_detail(client):
    response = await client.get("/api/responses?kind=boom")
    assert (response.status, response.json()) == (500, {"error": "Internal server error"})


async def test_cookies_are_secure(client):
    page = await client.get("/loader/cache", xsrf=False)
    cookies = page.headers.get_list("Set-Cookie")
    assert any(c.startswith("visited=") for c in cookies)
    assert any(c.startswith("_xsrf=") for c in cookies)
    assert all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies), cookies
    api = await client.get("/api/responses?kind=cookie")
    assert "Secure" in api.headers["Set-Cookie"]
