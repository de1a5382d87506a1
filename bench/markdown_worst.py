"""How long do the worst 100 KB post bodies take to render? Times, not asserts.

    .venv/bin/python bench/markdown_worst.py            # ROUNDS=3 by default (the best is shown)

For each body: "before" is the renderer as it was (no time limit: what every page view of the
post used to cost, on the event loop), "after" is core.markdown.render_post (TIME_LIMIT seconds
at most), run once when the post is written, in the rendering thread. "refused" means the body hit the time limit: the write
answers 400 on body and nothing is stored. Ordinary prose of the same size is the yardstick.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nh3  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from core import markdown  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "3"))
SIZE = 100_000  # the longest body a post may have (dal.posts.MAX_BODY)


def prose() -> str:
    words = "the of and to in is it that was for on are with as his they be at one have this".split()
    rng = random.Random(1)
    paragraphs = []
    while sum(map(len, paragraphs)) < SIZE:
        line = " ".join(rng.choice(words) for _ in range(80))
        line = line.replace(" was ", " **was** ").replace(" one ", " [one](https://example.org) ")
        paragraphs.append(line.replace(" it ", " `it` ") + "\n\n- an *item*\n- another\n\n> a quote")
    return "\n\n".join(paragraphs)


BODIES = {
    "prose (the yardstick)": prose(),
    "![ flood": "![" * 50_000,
    "[ flood": "[" * 100_000,
    "[a flood": "[a" * 50_000,
    "[]( unclosed links": "[](" * 33_334,
    "[a]( unclosed links": "[a](" * 25_000,
    "*_ delimiter runs": "*_" * 50_000,
    "**a delimiter runs": "**a " * 25_000,
    "*a emphasis": "*a" * 50_000,
    "~~a strikethrough": "~~a" * 33_334,
    "`a backticks": "`a" * 50_000,
    "<a angle brackets": "<a" * 50_000,
    "&amp entities": "&amp;" * 20_000,
    "table rows": "|a|b|\n|-|-|\n" + "|x|y|\n" * 16_665,
    "nested quotes and lists": "".join("> " * 30 + "- " * 30 + "a\n" for _ in range(1_100)),
}

_before = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_before(source: str) -> None:
    nh3.clean(
        _before.render(source),
        tags=markdown.TAGS,
        attributes=markdown.ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_after(source: str) -> str:
    try:
        markdown.render_post(source)
    except markdown.TooComplex:
        return "refused"
    return "stored"


def best(function, source: str) -> tuple[float, object]:
    times, outcome = [], None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        outcome = function(source)
        times.append(time.perf_counter() - started)
    return min(times), outcome


def main() -> None:
    print(f"markdown-it-py, {SIZE:,}-character bodies, best of {ROUNDS}; time limit {markdown.TIME_LIMIT} s")
    print(f"{'body':26} {'before':>8} {'after':>8}  outcome")
    for name, body in BODIES.items():
        body = body[:SIZE]
        before, _ = best(render_before, body)
        after, outcome = best(render_after, body)
        print(f"{name:26} {before:7.3f}s {after:7.3f}s  {outcome}", flush=True)


if __name__ == "__main__":
    main()
