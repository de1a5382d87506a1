"""Markdown to safe HTML and a plain-text excerpt, rendered once when a post is written.

Headings start one level down (# is <h2>, ###### stays <h6>): the page's own <h1> is the
post's title, so a body never adds a second one. (Migration 0006 re-rendered the posts
stored before this rule.)

markdown-it-py renders CommonMark with raw HTML turned off (it shows as text), then nh3
(the Ammonia sanitiser) keeps only a list of harmless tags and http(s)/mailto links, so
<script>, javascript: URLs and on* attributes never reach the page. Images are dropped: a
post may not make the reader's browser load anything from another host.

markdown-it-py is pure Python and linear, but slow on hostile input: about 20 µs a character
for a flood of `![` or `[`, long runs of emphasis delimiters or a huge table, so 2 s for a
100 KB body (bench/markdown_worst.py times them). So a body is rendered once, when it is
written, and:
- the parser looks at the clock before each block and inline step and gives up (TooComplex)
  past TIME_LIMIT seconds (a single step, such as one huge table, can overrun it by a little);
- render() runs in a thread of its own, off the event loop. One thread: pure Python holds the
  GIL, so more threads would not render faster, only take the GIL from the loop more often.
Nesting stays at markdown-it's limit (20 levels): 10 would make a bracket flood about twice as
cheap, but already drops the text of a list nested five deep.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

TIME_LIMIT = 2.0  # seconds of rendering one body may take
EXCERPT_LENGTH = 200  # characters of plain text in an excerpt (plus "…" when cut)
TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


class TooComplex(Exception):
    """The Markdown could not be rendered within the time limit."""


def _check_clock(state, *_args) -> bool:  # noqa: ANN001
    """A parser rule that never matches: it only stops the parse once the deadline has passed."""
    _past_deadline(state.env)
    return False


def _past_deadline(env: dict) -> None:
    if time.monotonic() > env["deadline"]:
        raise TooComplex


def _shift_headings(state) -> None:  # noqa: ANN001
    """A core rule: every heading one level down, h6 the deepest (h1 belongs to the page)."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_markdown.core.ruler.after("block", "shift_headings", _shift_headings)
_markdown.block.ruler.before(_markdown.block.ruler.get_all_rules()[0], "clock", _check_clock)
_markdown.inline.ruler.before(_markdown.inline.ruler.get_all_rules()[0], "clock", _check_clock)
# threads start on first use, so importing this module before a fork is safe
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="markdown")


def render_markdown(source: str, *, time_limit: float | None = None) -> str:
    """Safe HTML for source; TooComplex past time_limit seconds (default TIME_LIMIT)."""
    env = {"deadline": time.monotonic() + (TIME_LIMIT if time_limit is None else time_limit)}
    tokens = _markdown.parse(source, env)
    _past_deadline(env)
    html = _markdown.renderer.render(tokens, _markdown.options, env)
    _past_deadline(env)
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


class _Text(HTMLParser):
    """The text of an HTML fragment, a space wherever a tag was."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.letters = 0  # characters that are not whitespace

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.letters += len(data) - sum(map(str.isspace, data))


def excerpt(html: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of html as plain text: tags out, whitespace collapsed, at most length
    characters, cut at a word boundary (with "…") when there is more."""
    parser = _Text()
    chunk = 4096
    for start in range(0, len(html), chunk):  # only as much of the page as the excerpt needs
        parser.feed(html[start : start + chunk])
        if parser.letters > length:
            break
    else:
        parser.close()
    text = " ".join("".join(parser.parts).split())
    if len(text) <= length:
        return text
    cut = text[:length]
    if text[length] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # no half words
    return cut.rstrip() + "…"


@dataclass(frozen=True)
class Rendered:
    html: str
    excerpt: str


def render_post(source: str, *, time_limit: float | None = None) -> Rendered:
    html = render_markdown(source, time_limit=time_limit)
    return Rendered(html=html, excerpt=excerpt(html))


async def render(source: str) -> Rendered:
    """render_post() in the rendering thread, so the event loop goes on serving meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_pool, render_post, source)
