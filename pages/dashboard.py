"""/dashboard: who you are. Signed out: middleware (optimistic) and require_user (secure)
both send the visitor to /login?next=/dashboard."""

import dal


async def get_server_side_props(ctx):
    return {"props": {"user": dal.require_user(ctx)}}
