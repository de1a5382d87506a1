"""What a person reads on the pages, in plain HTML: no success notice beside an error, "You are
signed out", a confirmation after saving a post, post headings below the title, sessions named
by device with their whole address, `python app.py promote` in the audit log, no empty labels,
the password rule said once, validation messages as plain sentences, an expired form
explained, and a favicon. (What needs a browser to see is in tests/browser/test_polish.py.)

The session mode changes none of this (and the sessions table exists in database mode only),
so these run in database mode, on each database."""

import asyncio
import os
import re
import sys

import pytest

from tests.auth_helpers import PASSWORD, login_api, signed_up
from tests.dbutil import ROOT

# 60 s: a test here may run `python app.py promote` twice, seconds each on a loaded machine
pytestmark = [
    pytest.mark.gen_test(timeout=60),
    pytest.mark.parametrize("session_mode", ["database"], indirect=True),
]

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
IPV6 = "2001:db8:85a3:1234:5678:8a2e:370:7334"


@pytest.fixture
def settings_overrides():
    return {"trusted_proxies": ("127.0.0.1",)}  # X-Forwarded-For gives each login its address


@pytest.fixture
def app(real_app):
    return real_app


def notices(html: str) -> list[str]:
    return re.findall(r'<p class="alert success" role="status">(.*?)</p>', html)


def errors(html: str) -> list[str]:
    found = re.findall(r'class="field-error"[^>]*>([^<]+)</p>', html)
    found += re.findall(r'<p class="alert error" role="alert">(.*?)</p>', html)
    return found


def text_of(html: str) -> str:
    """What a reader sees of some HTML: tags and <wbr> hints out."""
    return re.sub(r"<[^>]+>", "", html)


async def test_a_form_shown_again_with_its_errors_never_shows_an_earlier_success(client):
    await signed_up(client)
    saved = await client.post("/account", form={"intent": "name", "name": "Ada King"})
    assert (saved.status, saved.headers["Location"]) == (303, "/account?done=name")
    page = await client.get("/account?done=name")
    assert notices(page.text) == ["Your name was saved."]
    # every form on the page posts to /account itself, never to the ?done= address
    assert 'action="/account?' not in page.text and page.text.count('action="/account"') >= 4
    # a browser that posts to the address it is on, ?done= included
    wrong = await client.post(
        "/account?done=name",
        form={"intent": "password", "current_password": "not it", "new_password": "a brand new secret"},
    )
    assert wrong.status == 400
    assert notices(wrong.text) == []
    assert errors(wrong.text) == ["The current password is not correct."]


async def test_the_admin_page_shown_again_with_an_error_shows_no_earlier_success(client):
    await signed_up(client)
    bob = await signed_up(client.another(), name="Bob", email="bob@example.com")
    await promote(client, "ada@example.com")
    changed = await client.post("/admin?done=role", form={"user_id": str(bob["id"]), "role": "admin"})
    assert (changed.status, changed.headers["Location"]) == (303, "/admin?done=role")
    assert notices((await client.get("/admin?done=role")).text) == ["The role was changed."]
    refused = await client.post("/admin?done=role", form={"user_id": str(bob["id"]), "role": "king"})
    assert refused.status == 400
    assert notices(refused.text) == [] and errors(refused.text) == ["Role must be one of user, admin."]
    assert 'action="/admin"' in refused.text


async def test_logging_out_says_you_are_signed_out(client):
    await signed_up(client)
    out = await client.post("/logout")
    assert (out.status, out.headers["Location"]) == (303, "/login?signed_out=1")
    page = await client.get(out.headers["Location"])
    assert page.status == 200 and notices(page.text) == ["You are signed out."]
    assert notices((await client.get("/login")).text) == []
    # a failed login posted from there shows its error alone
    failed = await client.post("/login?signed_out=1", form={"email": "ada@example.com", "password": "nope"})
    assert failed.status == 401
    assert notices(failed.text) == [] and errors(failed.text) == ["Invalid email or password."]


async def test_saving_a_post_is_confirmed_to_its_author(client):
    await signed_up(client)
    draft = await client.post("/posts/new", form={"title": "A draft", "body": "Not yet."})
    assert draft.status == 303
    location = draft.headers["Location"]
    post_id = re.fullmatch(r"/posts/(\d+)\?saved=1", location).group(1)
    assert notices((await client.get(location)).text) == ["The post was saved as a draft."]
    published = await client.post(
        f"/posts/{post_id}/edit", form={"title": "A draft no more", "body": "Now.", "published": "on"}
    )
    assert published.headers["Location"] == location
    assert notices((await client.get(location)).text) == ["The post was saved and published."]
    # the address means nothing to anyone else, and the plain address shows no notice
    assert notices((await client.another().get(location)).text) == []
    assert notices((await client.get(f"/posts/{post_id}")).text) == []


async def test_headings_in_a_post_start_below_its_title(client):
    await signed_up(client)
    body = "# Part one\n\nText.\n\n## A section\n\n###### The deepest\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    created = await client.post(
        "/api/posts", json_body={"title": "The title", "body": body, "published": True}
    )
    assert created.status == 201
    page = (await client.get(f"/posts/{created.json()['id']}")).text
    assert re.findall(r"<h1[ >].*?</h1>", page) == ["<h1>The title</h1>"]
    assert "<h2>Part one</h2>" in page and "<h3>A section</h3>" in page and "<h6>The deepest</h6>" in page
    assert "<table>" in page


async def test_sessions_are_named_by_device_with_their_whole_address(client):
    await signed_up(client, headers={"User-Agent": CHROME_LINUX, "X-Forwarded-For": IPV6})
    for agent, address in ((FIREFOX_WINDOWS, "198.51.100.7"), (SAFARI_IPHONE, "203.0.113.9")):
        other = client.another()
        response = await login_api(other, headers={"User-Agent": agent, "X-Forwarded-For": address})
        assert response.status == 200
    page = await client.get("/account", headers={"User-Agent": CHROME_LINUX, "X-Forwarded-For": IPV6})
    cells = [
        text_of(cell) for cell in re.findall(r'<td data-label="(?:Device|Address)">(.*?)</td>', page.text)
    ]
    devices, addresses = cells[::2], cells[1::2]
    assert sorted(devices) == ["Chrome on Linux this session", "Firefox on Windows", "Safari on iPhone"]
    assert sorted(addresses) == sorted([IPV6, "198.51.100.7", "203.0.113.9"])
    # the user agent itself stays at hand, as the device's title
    assert f'title="{FIREFOX_WINDOWS}"' in page.text


async def promote(client, email: str) -> None:
    """`python app.py promote EMAIL` on the app's database, as an operator runs it."""
    settings = client.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "APP_ENV": "test",
        "SECRET_KEY": settings.secret_keys[0],
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", "promote", email, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


@pytest.fixture
def client(client, auth_settings):
    client.settings = auth_settings
    return client


async def test_promoting_on_the_command_line_is_audited_once(client):
    await signed_up(client)
    await promote(client, "ada@example.com")
    await promote(client, "ada@example.com")  # already an admin: nothing changes, nothing recorded
    page = (await client.get("/admin")).text
    rows = re.findall(r"<tr>\s*<td data-label=\"When\">.*?</tr>", page, re.S)
    promoted = [row for row in rows if "to admin by the command line" in row]
    assert len(promoted) == 1
    assert 'data-label="Event">role changed</td>' in promoted[0] and "Ada Lovelace" in promoted[0]


async def test_empty_cells_of_the_audit_log_carry_no_label(client):
    await signed_up(client)
    await promote(client, "ada@example.com")
    page = (await client.get("/admin")).text
    rows = re.findall(r"<tr>\s*<td data-label=\"When\">.*?</tr>", page, re.S)
    signup = next(row for row in rows if 'data-label="Event">signup<' in row)
    assert "<td></td>" in signup and 'data-label="Detail"' not in signup  # a sign-up has no detail
    promoted = next(row for row in rows if "by the command line" in row)
    assert 'data-label="Address"' not in promoted  # the command line has no address
    assert 'data-label="Detail">to admin by the command line</td>' in promoted


async def test_the_password_rule_is_said_once_beside_the_field(client):
    blank = await client.get("/signup")
    assert blank.text.count("At least 8 characters.") == 1
    short = await client.post(
        "/signup", form={"name": "Ada", "email": "ada@example.com", "password": "short"}
    )
    assert short.status == 400
    assert "At least 8 characters." not in short.text
    assert errors(short.text).count("Password must be at least 8 characters.") == 1
    assert 'aria-describedby="password-error"' in short.text  # no longer points at a hint
    await signed_up(client)
    change = await client.post(
        "/account", form={"intent": "password", "current_password": PASSWORD, "new_password": "short"}
    )
    assert change.status == 400
    assert "At least 8 characters." not in change.text
    assert "Password must be at least 8 characters." in errors(change.text)


async def test_validation_messages_are_plain_sentences(client):
    empty = await client.post("/signup", form={"name": " ", "email": "", "password": ""})
    assert empty.status == 400
    assert errors(empty.text) == [
        "Enter your name.",
        "Enter your email address.",
        "Choose a password.",
        "Please correct the highlighted fields.",
    ]
    bad = await client.post("/signup", form={"name": "Ada", "email": "ada@@example", "password": PASSWORD})
    assert errors(bad.text) == ["Enter a valid email address.", "Please correct the highlighted field."]
    missing = await client.post("/api/auth/signup", json_body={"email": "ada@example.com"})
    assert missing.json()["issues"] == [
        {"path": ["name"], "message": "Enter your name."},
        {"path": ["password"], "message": "Choose a password."},
    ]
    login = await client.post("/login", form={"email": "", "password": ""})
    assert errors(login.text) == ["Enter your email address.", "Enter your password."]
    await signed_up(client)
    post = await client.post("/api/posts", json_body={"body": "x"})
    assert post.json()["issues"] == [{"path": ["title"], "message": "Enter a title."}]


async def test_a_missing_or_stale_xsrf_token_says_how_to_get_one(client):
    api = await client.post(
        "/api/auth/login", json_body={"email": "a@example.com", "password": "x"}, xsrf=False
    )
    assert (api.status, api.json()) == (
        403,
        {
            "error": "Missing or invalid XSRF token: send the _xsrf cookie with the X-XSRFToken header "
            "(GET /api/auth/csrf gives both)"
        },
    )
    stale = await client.post(
        "/api/auth/login",
        json_body={"email": "a@example.com", "password": "x"},
        headers={"X-XSRFToken": "an-old-token"},
    )
    assert stale.status == 403 and "GET /api/auth/csrf gives both" in stale.json()["error"]
    form = await client.post("/login", form={"email": "a@example.com", "password": "x"}, xsrf=False)
    assert form.status == 403 and form.headers["Content-Type"].startswith("text/html")
    assert "<h1>This form has expired: reload the page and try again.</h1>" in form.text
    assert "X-XSRFToken" not in form.text


async def test_the_site_has_a_favicon_of_its_own(client):
    page = (await client.get("/")).text
    link = re.search(r'<link rel="icon" href="(/static/favicon\.svg[^"]*)" type="image/svg\+xml">', page)
    assert link is not None
    svg = await client.get(link.group(1))
    assert svg.status == 200 and svg.headers["Content-Type"] == "image/svg+xml" and b"<svg" in svg.body
    ico = await client.get("/favicon.ico")
    assert ico.status == 200 and ico.headers["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert ico.body[:4] == b"\x00\x00\x01\x00"  # an icon file
