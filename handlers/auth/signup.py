"""POST /api/auth/signup {name, email, password}: 201 {"user": ...} and the session cookie."""

from auth import Anyone, flows
from auth.forms import SignupInput
from core.openapi import describe
from core.responses import json_response
from core.wrappers import with_json_body
from handlers._schemas import Error, UserEnvelope, ValidationErrorBody


@describe(
    "Sign up: creates the account and its session (cookie)",
    body=SignupInput,
    responses={201: UserEnvelope, 400: ValidationErrorBody, 409: Error, 415: Error, 429: Error},
)
@with_json_body
async def post(req: Anyone):
    user, cookie = await flows.signup(req)
    response = json_response(UserEnvelope(user=user), status=201)
    cookie.apply(response)
    return response
