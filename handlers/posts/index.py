"""GET /api/posts?page=&per_page=&author= (published posts, newest first) and POST /api/posts."""

from auth import Anyone, SignedIn
from core.openapi import describe
from core.responses import json_response
from core.validation import parse
from dal import posts
from handlers._schemas import Error, PostBody, PostList, ValidationErrorBody

ACCESS = {"GET": "public", "POST": "user"}


@describe(
    "Published posts, newest first",
    query=posts.ListQuery,
    responses={200: PostList, 400: ValidationErrorBody},
)
async def get(req: Anyone):
    query = parse(
        posts.ListQuery, {k: v for k, v in req.query.items() if k in ("page", "per_page", "author")}
    )
    return PostList.model_validate(await posts.list_posts(req.user, query))


@describe(
    "Write a post (the author is you)",
    body=posts.PostInput,
    responses={201: PostBody, 400: ValidationErrorBody, 401: Error},
)
async def post(req: SignedIn):
    created = await posts.create_post(req.user, parse(posts.PostInput, req.body))
    location = req.url_for("api/posts/[id]", id=created.id)
    return json_response(PostBody.model_validate(created), status=201, headers={"Location": location})
