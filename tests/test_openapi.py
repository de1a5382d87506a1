"""The OpenAPI document at /api/openapi.json: valid OpenAPI 3.1 (openapi-spec-validator), with
the session each operation needs (from the route's ACCESS), the avatar upload's body and the
X-XSRFToken header described. (tests/test_fuzz.py holds the API to it.)"""

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from app import make_app

pytestmark = pytest.mark.gen_test


@pytest.fixture
def app(io_loop, settings):
    """The project's own routes (the document needs no database)."""
    application = make_app(settings)
    yield application
    io_loop.run_sync(application.db.dispose)


async def fetch_document(client) -> dict:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    return response.json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


async def test_the_document_is_valid_openapi_3_1(client):
    document = await fetch_document(client)
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any departure from the specification


def test_the_validator_catches_a_broken_document():
    with pytest.raises(OpenAPIValidationError):
        validate({"openapi": "3.1.0", "info": {"title": "x"}, "paths": {"/x": {"get": {"responses": 5}}}})


async def test_operations_that_need_a_session_say_so(client):
    document = await fetch_document(client)
    needs = {
        (path, method): operation["security"] == [{"session": []}]
        for path, method, operation in operations(document)
    }
    assert all(operation["security"] in ([], [{"session": []}]) for _, _, operation in operations(document))
    for signed_in_only in (
        ("/api/me", "get"),
        ("/api/me/avatar", "put"),
        ("/api/me/avatar", "delete"),
        ("/api/admin/users", "get"),
    ):
        assert needs[signed_in_only] is True, signed_in_only
    for open_to_all in (
        ("/api/auth/csrf", "get"),
        ("/api/auth/signup", "post"),
        ("/api/auth/login", "post"),
        ("/api/posts", "get"),
        ("/api/posts/{id}", "get"),
    ):
        assert needs[open_to_all] is False, open_to_all
    scheme = document["components"]["securitySchemes"]["session"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "cookie", "session")


async def test_the_avatar_upload_body_is_described(client):
    document = await fetch_document(client)
    body = document["paths"]["/api/me/avatar"]["put"]["requestBody"]
    assert body["required"] is True
    binary = {"type": "string", "format": "binary"}
    for kind in ("image/png", "image/jpeg", "image/webp"):
        assert body["content"][kind]["schema"] == binary
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["avatar"] == binary and form["required"] == ["avatar"]


async def test_every_write_documents_its_xsrf_header(client):
    document = await fetch_document(client)
    for path, method, operation in operations(document):
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        if method == "get":
            assert headers == [], path
            continue
        [header] = headers
        assert header["name"] == "X-XSRFToken" and header["required"] is True
        assert "GET /api/auth/csrf" in header["description"] and "_xsrf cookie" in header["description"]
        assert "login" in header["description"]  # it changes there: fetch it again
