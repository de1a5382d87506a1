"""A session's device as a person reads it ("Chrome on Linux", "Safari on iPhone"), from its
User-Agent header, by ua-parser (the maintained Python port of uap-core's rules).

Parsing is pure Python regular expressions: about a millisecond a header, and a tenth of a
second the first time (the rules load lazily). So it runs in a thread of its own, never on the
event loop, and the answers for headers seen before are remembered.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import ua_parser

UNKNOWN = "Unknown device"
# "Mobile Safari" is Safari, "Chrome Mobile iOS" is Chrome: the device says the rest
NOISE = ("Mobile", "iOS", "WebView")
RENAMED = {"HeadlessChrome": "Headless Chrome", "Mac OS X": "macOS"}
NAMED_DEVICES = {"iPhone", "iPad", "iPod"}  # better known than their OS ("iOS")
# one thread: the parser holds the GIL, more threads would not parse faster; threads start on
# first use, so importing this module before the workers fork is safe
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="user-agents")


@functools.lru_cache(maxsize=1024)
def describe(user_agent: str | None) -> str:
    """ "Firefox on Windows", "Safari on iPhone", "curl", or "Unknown device"."""
    if not user_agent:
        return UNKNOWN
    found = ua_parser.parse(user_agent)
    browser = None
    if found.user_agent is not None:
        family = RENAMED.get(found.user_agent.family, found.user_agent.family)
        browser = " ".join(word for word in family.split() if word not in NOISE) or family
    place = None
    if found.device is not None and found.device.family in NAMED_DEVICES:
        place = found.device.family
    elif found.os is not None:
        place = RENAMED.get(found.os.family, found.os.family)
    if browser and place:
        return f"{browser} on {place}"
    return browser or place or UNKNOWN


async def describe_all(user_agents: Sequence[str | None]) -> list[str]:
    """describe() for each, in the parsing thread."""
    return await asyncio.get_running_loop().run_in_executor(
        _pool, lambda: [describe(agent) for agent in user_agents]
    )
