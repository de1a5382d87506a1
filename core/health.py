"""/healthz (the process answers) and /readyz (a readiness check the app supplies passes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import tornado.web

from core.responses import json_bytes
from core.security import SecurityHeaders

ReadyCheck = Callable[[], Awaitable[str | None]]  # None when ready, else what is wrong


class HealthHandler(SecurityHeaders, tornado.web.RequestHandler):
    def check_xsrf_cookie(self) -> None:  # GET only; POST is a 405 anyway
        pass

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json_bytes({"status": "ok"}))

    head = get


class ReadyHandler(HealthHandler):
    def initialize(self, check: ReadyCheck) -> None:
        self.check = check

    async def get(self) -> None:  # type: ignore[override]
        problem = await self.check()
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if problem is not None:
            self.set_status(503)
            self.finish(json_bytes({"status": "unavailable", "error": problem}))
        else:
            self.finish(json_bytes({"status": "ready"}))

    head = get
