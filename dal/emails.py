"""Email addresses in their one stored form, so that one mailbox is one account.

`ada@exämple.com`, `ada@xn--exmple-cua.com`, the same with a decomposed "ä" and
`ada@ｅxample.com` (a fullwidth e) are one mailbox. The stored form is the one
email_validator normalises to, with the domain in its ASCII (IDNA) form: lower-cased, the
local part in Unicode NFC, the domain through UTS #46 mapping and IDNA encoding. Sign-up
stores it, login and `python app.py promote` look it up, and the unique index on
lower(email) then refuses a second account for any spelling of the same mailbox.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

# no valid address comes near this (254 characters at most, a few more before NFC); longer
# input is refused before validation, which costs about a microsecond a character
MAX_INPUT = 1000


def canonical(value: str) -> str:
    """The stored form of an address; ValueError (saying why) if it is not a valid address."""
    value = value.strip()
    if len(value) > MAX_INPUT:
        raise ValueError("The email address is too long.")
    try:
        valid = validate_email(value.lower(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return f"{valid.local_part}@{valid.ascii_domain}"


def lookup_form(value: str) -> str:
    """What to look an address up by: its stored form, or, for a string that is not a valid
    address (which no account has), the string itself, trimmed and lower-cased."""
    try:
        return canonical(value)
    except ValueError:
        return value.strip().lower()
