"""Errors that teach: a builder's usual mistakes in a loader or an API route are a 500 whose log
line (in every environment) and development error page (only there) name the file, what is
wrong and the fix. Checked on the fixture site, in development and in test."""

import logging
from pathlib import Path

import pytest

from app import make_app
from core.routing import RouteDeclarationError

DEV = "development"


@pytest.fixture(params=[DEV, "test"])
def settings_overrides(request):
    return {"app_env": request.param}


def logged(caplog, logger: str) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == logger)


async def page_mistake(client, caplog, settings, path: str, *expected: str) -> str:
    """GET path: a 500 whose log line (core.pages) says every expected text; in development
    the page says it too, elsewhere the page says none of it."""
    with caplog.at_level(logging.ERROR):
        response = await client.get(path)
    assert response.status == 500
    assert "fixture 500 page" in response.text and "should not render" not in response.text
    log = caplog.text
    for text in expected:
        assert text in log, log
        if settings.app_env == DEV:
            assert text in response.text.replace("&#39;", "'").replace("&#x27;", "'"), response.text
        else:
            assert text not in response.text
    return response.text


@pytest.mark.gen_test
async def test_a_loader_result_with_a_wrong_key_says_the_forms_to_return(client, caplog, settings):
    await page_mistake(
        client,
        caplog,
        settings,
        "/loader/mistakes?case=prop",
        "pages/loader/mistakes.py: get_server_side_props() must return exactly one of",
        "got keys ['prop']",
        "Fix: return {'props': {...}}, {'redirect': {...}} or {'not_found': True}",
    )
    assert "loader/mistakes.py: get_server_side_props()" in logged(caplog, "core.pages")
    if settings.app_env == DEV:
        page = (await client.get("/loader/mistakes?case=prop")).text
        assert "Traceback" not in page  # the framework's own frames teach nothing


@pytest.mark.gen_test
async def test_a_datetime_in_props_names_its_key_path_and_the_conversion(client, caplog, settings):
    await page_mistake(
        client,
        caplog,
        settings,
        "/loader/mistakes?case=datetime",
        "pages/loader/mistakes.py: get_server_side_props() returned props that are not JSON-serialisable"
        " at .user.joined (datetime)",
        "Fix: convert it to a string, e.g. value.isoformat()",
    )


@pytest.mark.gen_test
async def test_every_invalid_loader_result_says_how_to_fix_it(client, caplog, settings):
    for case in (
        "none",
        "two_kinds",
        "props_not_dict",
        "set",
        "nan",
        "reserved",
        "redirect_code",
        "not_found_false",
    ):
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            response = await client.get(f"/loader/bad?case={case}")
        assert response.status == 500
        line = logged(caplog, "core.pages")
        assert "pages/loader/bad.py: get_server_side_props()" in line and ". Fix: " in line, (case, line)


@pytest.mark.gen_test
async def test_a_loader_that_returns_a_coroutine_is_a_forgotten_await(client, caplog, settings):
    await page_mistake(
        client,
        caplog,
        settings,
        "/loader/mistakes?case=returned_coroutine",
        "pages/loader/mistakes.py: get_server_side_props() returned a coroutine: did you forget `await`?",
    )


@pytest.mark.gen_test
async def test_a_coroutine_in_props_is_a_forgotten_await(client, caplog, settings):
    await page_mistake(
        client,
        caplog,
        settings,
        "/loader/mistakes?case=coroutine_in_props",
        "pages/loader/mistakes.py: get_server_side_props() returned props that are not JSON-serialisable"
        " at .user (coroutine): did you forget `await`?",
    )


@pytest.mark.gen_test
async def test_using_a_coroutine_as_its_result_adds_the_await_hint(client, caplog, settings):
    text = await page_mistake(
        client,
        caplog,
        settings,
        "/loader/mistakes?case=coroutine_attribute",
        "AttributeError: 'coroutine' object has no attribute 'name'",
        "pages/loader/mistakes.py: get_server_side_props() used a coroutine as a value: did you forget `await`?",
    )
    if settings.app_env == DEV:
        assert "Traceback" in text  # a mistake in the loader's own code keeps its traceback


@pytest.mark.gen_test
async def test_a_loader_without_its_template_names_the_template_expected(client, caplog, settings):
    await page_mistake(
        client,
        caplog,
        settings,
        "/loader/no_template",
        "pages/loader/no_template.py: get_server_side_props() returned props but there is no"
        " pages/loader/no_template.html to render them",
    )


async def api_mistake(client, caplog, settings, case: str, expected: str) -> None:
    """GET /api/mistakes?case=: a JSON 500 whose log line says expected; in development the
    answer's detail says it too."""
    with caplog.at_level(logging.ERROR):
        response = await client.get(f"/api/mistakes?case={case}")
    assert response.status == 500
    assert expected in logged(caplog, "core.api") or expected in caplog.text, caplog.text
    answer = response.json()
    assert answer["error"] == "Internal server error"
    if settings.app_env == DEV:
        assert expected in answer["detail"], answer
    else:
        assert "detail" not in answer


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "case, expected",
    [
        ("set", "handlers/mistakes.py: get() answered a value that is not JSON at .tags[1] (set). Fix: "),
        (
            "datetime",
            "handlers/mistakes.py: get() answered a value that is not JSON at .user.joined (datetime)."
            " Fix: convert it to a string, e.g. value.isoformat()",
        ),
        (
            "dataclass",
            "handlers/mistakes.py: get() answered a value that is not JSON at .points[0] (Point)."
            " Fix: convert it to a dict, e.g. dataclasses.asdict(value)",
        ),
        ("response_set", "handlers/mistakes.py: get() answered a value that is not JSON at .ids (set)"),
    ],
)
async def test_an_api_answer_that_is_not_json_names_the_file_and_the_key_path(
    client, caplog, settings, case, expected
):
    await api_mistake(client, caplog, settings, case, expected)


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "case, expected",
    [
        ("returned_coroutine", "handlers/mistakes.py: get() returned a coroutine: did you forget `await`?"),
        (
            "coroutine_in_dict",
            "handlers/mistakes.py: get() answered a value that is not JSON at .user (coroutine):"
            " did you forget `await`?",
        ),
        (
            "coroutine_attribute",
            "handlers/mistakes.py: get() used a coroutine as a value: did you forget `await`?",
        ),
    ],
)
async def test_a_forgotten_await_in_an_api_route_is_named(client, caplog, settings, case, expected):
    await api_mistake(client, caplog, settings, case, expected)


def handlers_tree(root: Path, source: str) -> Path:
    handlers = root / "handlers"
    handlers.mkdir()
    (handlers / "x.py").write_text(source)
    return handlers


def build(settings, handlers: Path):
    return make_app(settings, pages_dir=Path("/nonexistent"), handlers_dir=handlers, middleware=None)


def test_a_route_module_with_only_wrongly_cased_functions_says_the_names_wanted(settings, tmp_path):
    handlers = handlers_tree(tmp_path, "async def Get(req):\n    return {}\n")
    with pytest.raises(RouteDeclarationError) as caught:
        build(settings, handlers)
    assert str(caught.value) == (
        "handlers/x.py defines Get; API functions are lower-case: get, post, put, patch, delete"
    )


def test_a_wrongly_cased_function_beside_valid_ones_is_a_start_up_warning(settings, tmp_path, caplog):
    source = "async def get(req):\n    return {}\n\n\nasync def Post(req):\n    return {}\n"
    handlers = handlers_tree(tmp_path, source)
    with caplog.at_level(logging.WARNING, logger="core.api"):
        application = build(settings, handlers)
    assert application.api_routes[0].options["allowed"] == ("GET", "HEAD")
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "handlers/x.py defines Post, which no request reaches: API functions are lower-case (post)"
    ]
