"""render_markdown(): Markdown to HTML that is safe to put in a page.

markdown-it-py renders CommonMark with raw HTML turned off (it shows as text), then nh3
(the Ammonia sanitiser) keeps only a list of harmless tags and http(s)/mailto links, so
<script>, javascript: URLs and on* attributes never reach the page. Images are dropped: a
post may not make the reader's browser load anything from another host.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str) -> str:
    return nh3.clean(
        _markdown.render(source),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
