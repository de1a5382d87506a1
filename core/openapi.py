"""OpenAPI 3.1 for the /api routes, generated from what each handler declares with
@describe(...): its summary, request body and query models and response models (pydantic),
or a request body described as OpenAPI says it (an upload: request_body=...). The module's
ACCESS says which operations need a session: `security: [{"session": []}]` on "user" and
"admin" ones, `security: []` on the rest. Every write documents its X-XSRFToken header.

Every operation also documents the JSON error shape as its "default" answer, since any route
may answer 400 (a malformed URL), 403 (cross-site or no XSRF token on a write), 429 (rate limit)
or 503 (database down).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from core.access import NEEDS_USER, PUBLIC
from core.http import BaseHandler
from core.responses import json_bytes
from core.routing import CATCH_ALL, DYNAMIC, OPTIONAL_CATCH_ALL, Route

METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/"
XSRF_HEADER = {
    "name": "X-XSRFToken",
    "in": "header",
    "required": True,
    "description": (
        "The XSRF token, sent with its _xsrf cookie on every POST, PUT, PATCH and DELETE. "
        "GET /api/auth/csrf answers it as csrfToken and sets the cookie; both change at login "
        "and logout, so fetch them again after either. Missing or stale: 403."
    ),
    "schema": {"type": "string"},
}


class ErrorBody(BaseModel):
    error: str


def describe(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: dict[int, type[BaseModel] | None] | None = None,
    description: str = "",
    request_body: dict[str, Any] | None = None,
) -> Callable:
    """Attach OpenAPI facts to a handler function (a None response model means no body).
    body is a JSON body's model; request_body, for any other body (an image, a multipart
    form), is the OpenAPI Request Body Object itself."""
    if body is not None and request_body is not None:
        raise TypeError("describe() takes body (a JSON model) or request_body, not both")

    def mark(function: Callable) -> Callable:
        function.__openapi__ = {  # type: ignore[attr-defined]
            "summary": summary,
            "description": description,
            "body": body,
            "request_body": request_body,
            "query": query,
            "responses": responses or {200: None},
        }
        return function

    return mark


class _Components:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: str) -> dict[str, str]:
        schema = model.model_json_schema(mode=mode, ref_template=REF + "{model}")
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        self.schemas.setdefault(model.__name__, schema)
        return {"$ref": REF + model.__name__}


def _path(route: Route, prefix: str) -> tuple[str, list[dict[str, Any]]]:
    parts, parameters = [], []
    for segment in route.segments:
        if segment.kind == DYNAMIC:
            parts.append("{" + segment.name + "}")
            parameters.append(
                {
                    "name": segment.name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                }
            )
        elif segment.kind in (CATCH_ALL, OPTIONAL_CATCH_ALL):
            parts.append("{" + segment.name + "}")
            parameters.append(
                {"name": segment.name, "in": "path", "required": True, "schema": {"type": "string"}}
            )
        else:
            parts.append(segment.name)
    return prefix + ("/" + "/".join(parts) if parts else ""), parameters


def _operation(
    facts: dict[str, Any], method: str, parameters: list, components: _Components, access: str
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": facts["summary"], "responses": {}}
    # who may call it (ACCESS): a session cookie, or nothing (guest routes need none either)
    operation["security"] = [{"session": []}] if access in NEEDS_USER else []
    if facts["description"]:
        operation["description"] = facts["description"]
    params = list(parameters)
    if facts["query"] is not None:
        schema = facts["query"].model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            )
    if method != "get":
        params.append(dict(XSRF_HEADER))
    if params:
        operation["parameters"] = params
    if facts["body"] is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": components.ref(facts["body"], "validation")}},
        }
    elif facts["request_body"] is not None:
        operation["requestBody"] = facts["request_body"]
    for status, model in facts["responses"].items():
        answer: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if model is not None:
            answer["content"] = {"application/json": {"schema": components.ref(model, "serialization")}}
        operation["responses"][str(status)] = answer
    operation["responses"]["default"] = {
        "description": "An error: 400, 401, 403, 404, 405, 409, 413, 415, 429 or 503",
        "content": {"application/json": {"schema": components.ref(ErrorBody, "serialization")}},
    }
    return operation


def document(routes: list[Route], *, title: str, version: str, prefix: str = "/api") -> dict[str, Any]:
    components = _Components()
    paths: dict[str, Any] = {}
    for route in routes:
        path, parameters = _path(route, prefix)
        access = route.options.get("access", {})
        item = {}
        for method in METHODS:
            function = getattr(route.module, method, None)
            facts = getattr(function, "__openapi__", None)
            if facts is not None:
                level = access.get(method.upper(), PUBLIC)
                item[method] = _operation(facts, method, parameters, components, level)
        if item:
            paths[path] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items(), key=lambda kv: re.sub(r"\{", "~", kv[0]))),
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The signed session cookie a sign-up or login sets.",
                }
            },
        },
    }


class OpenApiHandler(BaseHandler):
    """GET /api/openapi.json: the document, built on first request from the loaded routes."""

    def initialize(self, routes: list[Route], title: str, version: str) -> None:
        self.routes, self.title, self.version = routes, title, version

    def get(self) -> None:
        cached = self.application.settings.setdefault("openapi_document", {})
        if "body" not in cached:
            cached["body"] = json_bytes(document(self.routes, title=self.title, version=self.version))
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=300")
        self.finish(cached["body"])

    head = get
