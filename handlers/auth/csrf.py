"""GET /api/auth/csrf: the XSRF token (and its _xsrf cookie) for clients that are not pages.
Send it back in the X-XSRFToken header on POST, PUT, PATCH and DELETE."""


async def get(req):
    return {"csrfToken": req.xsrf_token}
