"""Mail transports: where MAIL_URL sends a message, and the message itself.

``console:`` prints the whole message (headers, text and HTML parts, links included) to
standard output, for development. ``smtp://[user:password@]host[:port]`` speaks plain SMTP
(``?starttls=true`` upgrades the connection with STARTTLS first), ``smtps://...`` SMTP over
implicit TLS, through aiosmtplib (asyncio: the event loop never waits on the server).

A Transport raises MailError when a message could not be delivered; ``permanent`` says that
trying again will not help (the server refused this recipient or this message for good, a
5xx answer); every other failure (no server, a timeout, a refused login) is worth another try.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import aiosmtplib

SMTP_TIMEOUT = 20.0  # seconds for each step of one delivery (connect, each command)
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class Mail:
    """One message to one recipient: a subject, a plain-text part and an HTML part."""

    to: str
    subject: str
    text: str
    html: str


class MailError(Exception):
    """A delivery failed; permanent when the server refused it for good (a 5xx answer)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def build_message(mail: Mail, sender: str, message_id: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def address_domain(sender: str) -> str:
    """The domain of a From value ("App <noreply@example.com>" -> "example.com")."""
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class ConsoleTransport:
    """Development: the whole message on standard output (written off the event loop)."""

    async def send(self, message: EmailMessage) -> None:
        text = f"----- mail (MAIL_URL=console:) -----\n{message.as_string()}\n----- end of mail -----\n"

        def write() -> None:
            sys.stdout.write(text)
            sys.stdout.flush()

        await asyncio.to_thread(write)


@dataclass(frozen=True)
class SmtpTransport:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps: TLS from the first byte
    start_tls: bool = False  # smtp with ?starttls=true
    timeout: float = SMTP_TIMEOUT
    local_hostname: str = "localhost"  # the EHLO name (no DNS lookup of our own name)

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.start_tls,
                timeout=self.timeout,
                local_hostname=self.local_hostname,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(refusal.code >= 500 for refusal in exc.recipients)
            codes = ", ".join(f"{r.code} {r.message}" for r in exc.recipients)
            raise MailError(f"recipient refused: {codes}", permanent=permanent) from exc
        except aiosmtplib.SMTPDataError as exc:  # this message refused
            raise MailError(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # the server, the login or the sender address: a set-up to fix, so tried again
            raise MailError(f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc


def parse_mail_url(url: str) -> Mapping[str, object]:
    """The parts of a MAIL_URL, or ValueError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    if parts.scheme == "console":
        if parts.netloc or parts.path or parts.query:
            raise ValueError("console: takes nothing after the colon")
        return {"scheme": "console"}
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("must be console:, smtp://[user:password@]host:port[?starttls=true] or smtps://...")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("names no host (smtp://host:port)")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("must not have a path or a fragment")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - {"starttls"}
    if unknown:
        raise ValueError(f"has unknown options: {', '.join(sorted(unknown))} (only starttls=true)")
    starttls = options.get("starttls", "false").lower()
    if starttls not in ("true", "false"):
        raise ValueError("starttls must be true or false")
    if starttls == "true" and parts.scheme == "smtps":
        raise ValueError("smtps:// is TLS already: starttls=true is for smtp://")
    return {
        "scheme": parts.scheme,
        "hostname": parts.hostname,
        "port": port,
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password is not None else None,
        "use_tls": parts.scheme == "smtps",
        "start_tls": starttls == "true",
    }


def transport_for(url: str, *, local_hostname: str = "localhost") -> Transport:
    """The Transport a MAIL_URL names (it was validated at start: see parse_mail_url)."""
    parsed = dict(parse_mail_url(url))
    if parsed.pop("scheme") == "console":
        return ConsoleTransport()
    return SmtpTransport(local_hostname=local_hostname, **parsed)  # type: ignore[arg-type]
