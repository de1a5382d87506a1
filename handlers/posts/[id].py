"""GET, PUT, PATCH, DELETE /api/posts/{id}: one post, under the rules in dal/posts.py."""

from auth import Anyone, SignedIn
from core.openapi import describe
from core.responses import empty
from core.validation import parse
from dal import posts
from handlers._schemas import Error, PostBody, ValidationErrorBody

ACCESS = {"GET": "public", "PUT": "user", "PATCH": "user", "DELETE": "user"}


@describe("One post (a draft only for its author and admins)", responses={200: PostBody, 404: Error})
async def get(req: Anyone):
    return PostBody.model_validate(await posts.get_post(req.user, req.params["id"]))


@describe(
    "Replace a post (author or admin)",
    body=posts.PostInput,
    responses={200: PostBody, 400: ValidationErrorBody, 401: Error, 403: Error, 404: Error},
)
async def put(req: SignedIn):
    changes = parse(posts.PostInput, req.body)
    return PostBody.model_validate(await posts.update_post(req.user, req.params["id"], changes))


@describe(
    "Change some fields of a post (author or admin)",
    body=posts.PostChanges,
    responses={200: PostBody, 400: ValidationErrorBody, 401: Error, 403: Error, 404: Error},
)
async def patch(req: SignedIn):
    changes = parse(posts.PostChanges, req.body)
    return PostBody.model_validate(await posts.update_post(req.user, req.params["id"], changes))


@describe("Delete a post (author or admin)", responses={204: None, 401: Error, 403: Error, 404: Error})
async def delete(req: SignedIn):
    await posts.delete_post(req.user, req.params["id"])
    return empty()
