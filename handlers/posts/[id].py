"""GET, PUT, PATCH, DELETE /api/posts/{id}: one post, under the rules in dal/posts.py."""

import dal
from core.responses import empty
from core.validation import parse
from dal import posts


async def get(req):
    return (await posts.get_post(dal.current_user(req), posts.parse_id(req.params["id"]))).public()


async def put(req):
    post_id = posts.parse_id(req.params["id"])
    viewer = dal.require_user(req)
    return (await posts.update_post(viewer, post_id, parse(posts.PostInput, req.body))).public()


async def patch(req):
    post_id = posts.parse_id(req.params["id"])
    viewer = dal.require_user(req)
    return (await posts.update_post(viewer, post_id, parse(posts.PostChanges, req.body))).public()


async def delete(req):
    post_id = posts.parse_id(req.params["id"])
    await posts.delete_post(dal.require_user(req), post_id)
    return empty()
