"""What a live page's browser receives of a rendered page: the main content, the title and
a digest of both (the browser keeps the digest of what it shows; nothing unchanged is sent).

The layout marks the swapped region: ``<main id="main" ...>``. The digest ignores the XSRF
token in the content's forms (Tornado masks it anew for every render), so a page rendered
twice for the same viewer and data has the same digest.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any

# what the layout writes where the digest goes (replaced once the page is rendered)
DIGEST_MARK = "live-digest-pending"
_MAIN_START = re.compile(r"<main\b[^>]*\bid=\"main\"[^>]*>")
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


class NoMainRegion(Exception):
    """The rendered page has no <main id="main">...</main> to swap."""


@dataclass(frozen=True)
class PageView:
    status: int
    title: str
    main: str
    digest: str


@dataclass
class LiveRun:
    """Set on a request that a live socket runs (core.live.runs): what the page handler
    rendered, and the topics the page depends on."""

    view: PageView | None = None
    topics: frozenset[str] = frozenset()
    user: Any = None


def view_of(page: str, status: int, xsrf_token: str) -> PageView:
    """The main content and title of a rendered page, and their digest."""
    start = _MAIN_START.search(page)
    end = page.rfind("</main>")
    if start is None or end < start.end():
        raise NoMainRegion('a live page\'s layout needs <main id="main">...</main> around its content')
    main = page[start.end() : end]
    found = _TITLE.search(page)
    title = html.unescape(found[1]).strip() if found else ""
    stable = main.replace(xsrf_token, "") if xsrf_token else main
    digest = hashlib.sha256(f"{status}\n{title}\n{stable}".encode()).hexdigest()[:32]
    return PageView(status, title, main, digest)
