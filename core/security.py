"""Request-level protections every handler shares: security headers (and no Server header
naming Tornado's version), the fetch-metadata cross-origin check (the layer Go 1.25's
CrossOriginProtection adds to CSRF tokens), and the client address (the socket's peer,
unless a trusted proxy vouches for another) and the key that per-address limits count it by.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

import tornado.httputil
import tornado.web

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders(tornado.web.RequestHandler):
    """Mixed into every handler, so error answers carry the headers too (Tornado calls
    set_default_headers again when it clears a response for an error)."""

    def set_default_headers(self) -> None:
        self.clear_header("Server")  # Tornado's names its version: TornadoServer/6.x
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
        self.set_header("X-Frame-Options", "DENY")
        if self.settings.get("production"):
            self.set_header("Strict-Transport-Security", HSTS)


class SafeStaticFiles(tornado.web.StaticFileHandler):
    """Tornado's static files, refusing paths the file system cannot even look up (a NUL byte
    makes os.path.realpath raise): such a path names no file, so it is a 404, not a 500."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


def cross_origin_problem(request: tornado.httputil.HTTPServerRequest, trusted: Iterable[str]) -> str | None:
    """Why an unsafe request looks cross-origin, or None when it may go on.

    Sec-Fetch-Site same-origin or none passes; cross-site or same-site is refused; without it,
    an Origin that is "null" or names another host is refused; with neither header (curl,
    servers) it passes, and still needs the XSRF token. Origins in ``trusted`` (the CORS
    allow-list) always pass."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null" and origin in trusted:
        return None
    site = request.headers.get("Sec-Fetch-Site")
    if site in ("same-origin", "none"):
        return None
    if site is not None:
        return f"Cross-site request refused (Sec-Fetch-Site: {site})"
    if origin is None:
        return None
    if origin == "null" or urlsplit(origin).netloc.lower() != request.headers.get("Host", "").lower():
        return f"Cross-origin request refused (Origin: {origin})"
    return None


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


class ClientAddress:
    """The client's address: the socket's peer, or, when that peer is a trusted proxy, the
    rightmost X-Forwarded-For entry that is not itself a trusted proxy. A client cannot
    choose its own address by sending X-Forwarded-For to a server that trusts no proxy."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted = _networks(trusted_proxies)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def __call__(self, request: tornado.httputil.HTTPServerRequest) -> str:
        peer = request.remote_ip or "unknown"
        if not self.trusted or not self._is_trusted(peer):
            return peer
        chain = [
            part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()
        ]
        for address in reversed(chain):
            if not self._is_trusted(address):
                try:
                    return str(ipaddress.ip_address(address))
                except ValueError:
                    return peer
        return peer


def throttle_key(address: str) -> str:
    """What per-address limits count a client by: an IPv4 address as it is (an IPv4-mapped
    IPv6 address, ::ffff:a.b.c.d, as its IPv4 address); an IPv6 address by its /64, since one
    subscriber usually holds a whole /64 and could otherwise rotate through 2**64 addresses.
    Anything that is not an address ("unknown") is its own key."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)
