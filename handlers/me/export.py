"""GET /api/me/export: everything stored about the signed-in user as one JSON document, sent as
an attachment (profile, posts with drafts, sessions, the user's audit events; no password or
token hashes). At most 3 an hour per account (429 with Retry-After); each is audited."""

from auth import SignedIn, flows
from core.openapi import describe
from core.responses import json_response
from handlers._schemas import AccountExport, Error

ACCESS = "user"


@describe(
    "Download your data: your profile, posts, sessions and audit events as JSON",
    responses={200: AccountExport, 401: Error, 429: Error},
)
async def get(req: SignedIn):
    document = AccountExport.model_validate(await flows.export_account(req))
    name = f"tornado-pages-account-{req.user.id}-{document.exported_at[:10]}.json"
    return json_response(document, headers={"Content-Disposition": f'attachment; filename="{name}"'})
