"""GET /api/auth/csrf: the XSRF token (and its _xsrf cookie) for clients that are not pages.
Send it back in the X-XSRFToken header on POST, PUT, PATCH and DELETE."""

from auth import Anyone
from core.openapi import describe
from handlers._schemas import CsrfToken


@describe("The XSRF token to send in X-XSRFToken (and its _xsrf cookie)", responses={200: CsrfToken})
async def get(req: Anyone):
    return {"csrfToken": req.xsrf_token}
