"""Small steps the auth tests repeat: sign up, log in, read the session cookie, promote."""

from __future__ import annotations

from dal import users as dal_users

PASSWORD = "correct horse battery"


async def signup_api(client, name="Ada Lovelace", email="ada@example.com", password=PASSWORD):
    return await client.post(
        "/api/auth/signup", json_body={"name": name, "email": email, "password": password}
    )


async def login_api(client, email="ada@example.com", password=PASSWORD, **kwargs):
    return await client.post("/api/auth/login", json_body={"email": email, "password": password}, **kwargs)


async def signed_up(client, **kwargs) -> dict:
    response = await signup_api(client, **kwargs)
    assert response.status == 201, response.text
    return response.json()["user"]


async def me(client):
    return await client.get("/api/me")


async def make_admin(email: str) -> None:
    await dal_users.promote(email)


def session_cookie(response) -> str:
    for header in response.headers.get_list("Set-Cookie"):
        if header.startswith("session="):
            return header
    raise AssertionError(f"no session cookie in {response.headers.get_list('Set-Cookie')}")
