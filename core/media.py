"""MediaHandler: serves uploaded files (avatars) from the upload folder, outside static/.

Uploaded names are random and never reused, so each URL's content never changes: it is
cached for a year. nosniff stops a browser from guessing another type than the one sent.
"""

from __future__ import annotations

import mimetypes

from core.security import SafeStaticFiles, SecurityHeaders

mimetypes.add_type("image/webp", ".webp")


class MediaHandler(SecurityHeaders, SafeStaticFiles):
    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")
