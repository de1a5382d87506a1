"""The README's "Adding a page" and "Adding an API route" examples, and its curl walkthrough of
the posts API, run as written."""

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from app import make_app
from tests.browser.support import running_app
from tests.images import tiny_png

pytestmark = pytest.mark.gen_test

ROOT = Path(__file__).resolve().parent.parent


def readme_files() -> dict[str, str]:
    """{'pages/hello/[name].html': source, ...}: each code block that follows a `file` name."""
    text = (ROOT / "README.md").read_text()
    found = re.findall(r"^`((?:pages|handlers)/[^`]+)`.*?\n```\w*\n(.*?)```", text, re.S | re.M)
    return dict(found)


@pytest.fixture
def app(io_loop, tmp_path, settings):
    files = readme_files()
    assert set(files) == {"pages/hello/[name].html", "pages/hello/[name].py", "handlers/greetings/[name].py"}
    shutil.copytree(ROOT / "pages", tmp_path / "pages")
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    application = make_app(
        settings, pages_dir=tmp_path / "pages", handlers_dir=tmp_path / "handlers", middleware=None
    )
    yield application
    io_loop.run_sync(application.db.dispose)


async def test_the_page_example_works_as_the_readme_says(client):
    page = await client.get("/hello/Ada")
    assert page.status == 200 and "Hello, Ada!" in page.text
    assert (await client.get("/hello/nobody")).status == 404
    empty = await client.post("/hello/Ada", form={"name": " "})
    assert empty.status == 422 and "Name is required." in empty.text
    moved = await client.post("/hello/Ada", form={"name": "Grace Hopper"})
    assert (moved.status, moved.headers["Location"]) == (303, "/hello/Grace%20Hopper")


async def test_the_api_example_works_as_the_readme_says(client):
    assert (await client.get("/api/greetings/Ada")).json() == {"greeting": "Hello, Ada!"}
    created = await client.post("/api/greetings/Ada", json_body={"message": "hi"})
    assert (created.status, created.json()) == (201, {"saved": "hi"})
    missing = await client.post("/api/greetings/Ada", json_body={})
    assert (missing.status, missing.json()) == (400, {"error": "message is required"})
    wrong = await client.request("DELETE", "/api/greetings/Ada")
    assert (wrong.status, wrong.headers["Allow"]) == (405, "GET, HEAD, POST")


def test_the_builder_examples_in_the_readme_are_the_tested_fixture_files():
    """The README's notes page and route are, character for character, the files that
    tests/test_access.py runs."""
    text = (ROOT / "README.md").read_text()
    for name in ("pages/notes.py", "handlers/notes.py"):
        source = (ROOT / "tests" / "fixtures" / "builder" / name).read_text()
        assert f"```python\n{source}```" in text, name


# --- the curl walkthrough under "### Posts API" ------------------------------------------------

WALKTHROUGH_BASE = "B=http://127.0.0.1:8000\n"


def curl_walkthrough() -> str:
    """The shell block that follows "With curl" in the Posts API section."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Posts API") :]
    section = section[section.index("With curl") :]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_curl_walkthrough_works_as_written(tmp_path):
    """The block runs with bash, as written, against a real `python app.py` on a fresh database
    (only the port in B= differs); every request answers the status its comment promises."""
    assert shutil.which("curl") and shutil.which("bash"), "the walkthrough needs curl and bash"
    script = curl_walkthrough()
    assert script.startswith(WALKTHROUGH_BASE)
    promised = [int(status) for status in re.findall(r"#[^\n]*?\b([1-5]\d\d)\b", script)]
    assert len(promised) == 11
    (tmp_path / "me.png").write_bytes(tiny_png())
    (tmp_path / "server").mkdir()
    with running_app(tmp_path / "server") as server:
        run = subprocess.run(
            ["bash", "-e", "-c", f"B={server.base}\n" + script.removeprefix(WALKTHROUGH_BASE)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        printed = [int(status) for status in re.findall(r" -> (\d{3})$", run.stderr, re.M)]
        assert printed == promised, run.stdout + run.stderr
        # what the walkthrough did is there to see: its post came and went, its picture too
        with urllib.request.urlopen(server.base + "/api/posts") as response:
            assert json.load(response)["total"] == 0
    assert '"title":"Hello, world"' in run.stdout and '"avatar_url":"/media/avatars/' in run.stdout
