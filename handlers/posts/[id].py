"""GET, PUT, PATCH, DELETE /api/posts/{id}: one post, under the rules in dal/posts.py."""

import dal
from core.openapi import describe
from core.responses import empty
from core.validation import parse
from dal import posts
from handlers._schemas import Error, PostBody, ValidationErrorBody


@describe("One post (a draft only for its author and admins)", responses={200: PostBody, 404: Error})
async def get(req):
    return (await posts.get_post(dal.current_user(req), posts.parse_id(req.params["id"]))).public()


@describe(
    "Replace a post (author or admin)",
    body=posts.PostInput,
    responses={200: PostBody, 400: ValidationErrorBody, 401: Error, 403: Error, 404: Error},
)
async def put(req):
    post_id = posts.parse_id(req.params["id"])
    viewer = dal.require_user(req)
    return (await posts.update_post(viewer, post_id, parse(posts.PostInput, req.body))).public()


@describe(
    "Change some fields of a post (author or admin)",
    body=posts.PostChanges,
    responses={200: PostBody, 400: ValidationErrorBody, 401: Error, 403: Error, 404: Error},
)
async def patch(req):
    post_id = posts.parse_id(req.params["id"])
    viewer = dal.require_user(req)
    return (await posts.update_post(viewer, post_id, parse(posts.PostChanges, req.body))).public()


@describe("Delete a post (author or admin)", responses={204: None, 401: Error, 403: Error, 404: Error})
async def delete(req):
    post_id = posts.parse_id(req.params["id"])
    await posts.delete_post(dal.require_user(req), post_id)
    return empty()
