"""The development server's answer while the app cannot start: a 500 naming the file, the line
and the error, as an HTML page (which reloads itself once the app is back) or, under /api, as
JSON. Self-contained: it uses none of the app's templates, which may be what is broken.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

import tornado.web

from core.problems import Problem

# core.application.API_PREFIX, not imported: the development server loads as little as it can
API_PREFIX = "/api"
MARK = "X-Dev-Server"  # on every answer of this page: its script reloads once an answer lacks it

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;color:#1d1d1f;margin:0;background:#fafafa}
main{max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.4rem;margin:0 0 .5rem;color:#b3261e}
.where{font:600 1rem ui-monospace,monospace;margin:.5rem 0}
pre{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.75rem 1rem;overflow:auto;
white-space:pre-wrap;overflow-wrap:anywhere;font:14px/1.45 ui-monospace,monospace}
pre.error{border-left:4px solid #b3261e}
.hint{color:#555}
"""

# once an answer no longer carries MARK, the app is serving again: show its page
SCRIPT = """
setInterval(function () {
  fetch(location.href, {method: "HEAD", cache: "no-store"}).then(function (answer) {
    if (!answer.headers.has("MARK")) location.reload();
  }, function () {});
}, 1000);
""".replace("MARK", MARK)


def html_page(problem: Problem) -> str:
    where = f"{problem.file}, line {problem.line}" if problem.line else problem.file
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Cannot start: {escape(problem.error.splitlines()[0] if problem.error else '')}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<h1>The app cannot start</h1>",
    ]
    if where:
        parts.append(f'<p class="where">{escape(where)}</p>')
    parts.append(f'<pre class="error">{escape(problem.error)}</pre>')
    if problem.source:
        parts.append(f'<pre class="source">{problem.line or ""} | {escape(problem.source)}</pre>')
    if problem.traceback:
        parts.append(f"<details><summary>Traceback</summary><pre>{escape(problem.traceback)}</pre></details>")
    hint = (
        "The development server tries again in a moment, and whenever a file changes."
        if problem.retry
        else "Fix it and save: the development server restarts the app, and this page reloads by itself."
    )
    parts.append(f'<p class="hint">{hint}</p>')
    parts.append(f"<script>{SCRIPT}</script></main></body></html>")
    return "\n".join(parts)


def json_answer(problem: Problem) -> dict:
    return {
        "error": f"The app cannot start: {problem}",
        "file": problem.file,
        "line": problem.line,
        "source": problem.source,
        "traceback": problem.traceback,
    }


class CannotStartHandler(tornado.web.RequestHandler):
    """Every method, every path: the problem, with status 500."""

    def initialize(self, current: Callable[[], Problem | None]) -> None:
        self.current = current

    def prepare(self) -> None:
        problem = self.current() or Problem("the app is starting")
        self.set_status(500)
        self.set_header(MARK, "cannot-start")
        self.set_header("Cache-Control", "no-store")
        path = self.request.path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps(json_answer(problem)))
        else:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(html_page(problem))


def error_application(current: Callable[[], Problem | None]) -> tornado.web.Application:
    """The Tornado application that answers current() to every request."""
    # no access log: the problem is logged once, not once per request
    return tornado.web.Application(
        [(r".*", CannotStartHandler, {"current": current})], log_function=lambda _handler: None
    )
