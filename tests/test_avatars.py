"""Avatars: PNG, JPEG or WebP up to 2 MB, typed by content, stored outside static/ under a
random name, served with nosniff and a long cache life, old files removed, even when many
uploads and deletes of one user run at once."""

import pytest

from tests.auth_helpers import signed_up
from tests.concurrency import at_once

pytestmark = [pytest.mark.gen_test, pytest.mark.one_session_mode]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 200
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
MB2 = 2 * 1024 * 1024


@pytest.fixture
def app(real_app):
    return real_app


@pytest.fixture
def folder(auth_settings):
    from pathlib import Path

    return Path(auth_settings.upload_dir) / "avatars"


def multipart(data: bytes, filename: str, content_type: str, extra: dict | None = None) -> tuple[bytes, dict]:
    boundary = "----test-boundary-7MA4YWxk"
    parts = []
    for name, value in (extra or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def put_raw(client, data: bytes, content_type="application/octet-stream"):
    return await client.request("PUT", "/api/me/avatar", body=data, headers={"Content-Type": content_type})


@pytest.mark.parametrize("data, kind", [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")])
async def test_an_image_is_stored_and_served_safely(client, folder, data, kind):
    await signed_up(client)
    response = await put_raw(client, data)
    assert response.status == 200
    url = response.json()["avatar_url"]
    assert url.startswith("/media/avatars/") and len(url.rsplit("/", 1)[1].split(".")[0]) == 32
    served = await client.another().get(url)
    assert served.status == 200 and served.body == data
    assert served.headers["Content-Type"] == kind
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert [p.name for p in folder.iterdir()] == [url.rsplit("/", 1)[1]]
    assert "/static/" not in url


async def test_the_type_comes_from_the_content_not_the_name(client, folder):
    await signed_up(client)
    body, headers = multipart(PNG, "photo.jpg", "image/jpeg")
    response = await client.request("PUT", "/api/me/avatar", body=body, headers=headers)
    url = response.json()["avatar_url"]
    assert url.endswith(".png")
    assert (await client.get(url)).headers["Content-Type"] == "image/png"


async def test_html_renamed_png_is_415_and_nothing_is_stored(client, folder):
    await signed_up(client)
    body, headers = multipart(HTML, "cute.png", "image/png")
    response = await client.request("PUT", "/api/me/avatar", body=body, headers=headers)
    assert (response.status, response.json()) == (415, {"error": "Avatars must be PNG, JPEG or WebP images."})
    assert not folder.exists() or list(folder.iterdir()) == []


async def test_two_megabytes_pass_and_one_byte_more_is_413(client, folder):
    await signed_up(client)
    assert (await put_raw(client, PNG + b"\x00" * (MB2 - len(PNG)))).status == 200
    response = await put_raw(client, PNG + b"\x00" * (MB2 + 1 - len(PNG)))
    assert (response.status, response.json()) == (
        413,
        {"error": "The image is larger than 2 MB: choose a smaller one."},
    )
    assert len(list(folder.iterdir())) == 1  # only the accepted one


async def test_an_empty_file_is_refused(client, folder):
    await signed_up(client)
    response = await put_raw(client, b"")
    assert response.status == 400 and "empty" in response.json()["error"]
    body, headers = multipart(b"", "empty.png", "image/png")
    assert (await client.request("PUT", "/api/me/avatar", body=body, headers=headers)).status == 400
    assert not folder.exists() or list(folder.iterdir()) == []


async def test_replacing_and_deleting_remove_the_old_file(client, folder):
    await signed_up(client)
    first = (await put_raw(client, PNG)).json()["avatar_url"]
    second = (await put_raw(client, JPEG)).json()["avatar_url"]
    assert [p.name for p in folder.iterdir()] == [second.rsplit("/", 1)[1]]
    assert (await client.get(first)).status == 404
    deleted = await client.request("DELETE", "/api/me/avatar")
    assert deleted.status == 204
    assert list(folder.iterdir()) == []
    assert (await client.get(second)).status == 404


async def test_signed_out_uploads_are_401(client):
    assert (await put_raw(client, PNG)).status == 401


async def test_the_account_form_uploads_and_the_nav_shows_it(client, folder):
    await signed_up(client)
    body, headers = multipart(WEBP, "me.webp", "image/webp", {"intent": "avatar"})
    response = await client.post("/account", body=body, headers=headers)
    assert (response.status, response.headers["Location"]) == (303, "/account?done=avatar")
    name = next(folder.iterdir()).name
    dashboard = await client.get("/dashboard")
    assert f'src="/media/avatars/{name}"' in dashboard.text.split("</header>")[0]


async def test_the_account_form_shows_a_clear_error(client, folder):
    await signed_up(client)
    body, headers = multipart(HTML, "page.png", "image/png", {"intent": "avatar"})
    response = await client.post("/account", body=body, headers=headers)
    assert response.status == 415
    assert "Avatars must be PNG, JPEG or WebP images." in response.text
    assert not folder.exists() or list(folder.iterdir()) == []


async def test_the_avatar_stands_beside_the_users_posts(client):
    await signed_up(client)
    url = (await put_raw(client, PNG)).json()["avatar_url"]
    post = (
        await client.post("/api/posts", json_body={"title": "With face", "body": "x", "published": True})
    ).json()
    assert f'src="{url}"' in (await client.another().get(f"/posts/{post['id']}")).text
    assert f'src="{url}"' in (await client.another().get("/posts")).text


# --- concurrent uploads and deletes --------------------------------------------------------


async def referenced_avatar(email: str) -> str | None:
    """The avatar file the users table references for this account (read from the database)."""
    from sqlalchemy import select

    from dal import db
    from models import User

    async with db.read() as session:
        return await session.scalar(select(User.avatar).where(User.email == email))


def upload(data: bytes):
    return ("PUT", "/api/me/avatar", {"body": data, "headers": {"Content-Type": "application/octet-stream"}})


async def test_concurrent_uploads_leave_only_the_referenced_file_and_a_delete_leaves_none(client, folder):
    await signed_up(client)
    for _ in range(3):
        responses = await at_once(client, [upload(data) for data in (PNG, JPEG, WEBP, PNG) * 2])
        assert [r.status for r in responses] == [200] * 8, [r.text for r in responses]
        referenced = await referenced_avatar("ada@example.com")
        assert {p.name for p in folder.iterdir()} == {referenced}
        assert f"/media/avatars/{referenced}" in {r.json()["avatar_url"] for r in responses}
    deleted = await at_once(client, [("DELETE", "/api/me/avatar", {})] * 3)
    assert [r.status for r in deleted] == [204] * 3
    assert list(folder.iterdir()) == []
    assert await referenced_avatar("ada@example.com") is None


async def test_any_mix_of_concurrent_uploads_and_deletes_leaves_at_most_the_referenced_file(client, folder):
    await signed_up(client)
    delete = ("DELETE", "/api/me/avatar", {})
    for mix in (
        [upload(PNG), delete, upload(JPEG), upload(WEBP), delete, upload(PNG)],
        [delete, upload(PNG), delete, upload(JPEG), delete, upload(WEBP), delete, upload(PNG)],
        [upload(PNG)] * 6 + [delete],
    ):
        responses = await at_once(client, mix)
        assert sorted({r.status for r in responses}) in ([200, 204], [200]), [r.text for r in responses]
        referenced = await referenced_avatar("ada@example.com")
        assert {p.name for p in folder.iterdir()} == ({referenced} if referenced else set())
