"""GET /api/posts?page=&per_page=&author= (published posts, newest first) and POST /api/posts."""

import dal
from core.openapi import describe
from core.responses import json_response
from core.validation import parse
from dal import posts
from handlers._schemas import Error, PostBody, PostList, ValidationErrorBody


@describe(
    "Published posts, newest first",
    query=posts.ListQuery,
    responses={200: PostList, 400: ValidationErrorBody},
)
async def get(req):
    query = parse(
        posts.ListQuery, {k: v for k, v in req.query.items() if k in ("page", "per_page", "author")}
    )
    return (await posts.list_posts(dal.current_user(req), query)).public()


@describe(
    "Write a post (the author is you)",
    body=posts.PostInput,
    responses={201: PostBody, 400: ValidationErrorBody, 401: Error},
)
async def post(req):
    viewer = dal.require_user(req)
    created = await posts.create_post(viewer, parse(posts.PostInput, req.body))
    return json_response(created.public(), status=201, headers={"Location": f"/api/posts/{created.id}"})
