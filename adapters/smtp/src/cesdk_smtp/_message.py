"""Build one email: addresses checked against the allow-list, headers that cannot be
injected into, a Message-ID that is the same on every retry, text and HTML parts.

The message is an :class:`email.message.EmailMessage` written with the SMTP policy
(CRLF line ends, RFC 2047 encoded words for non-ASCII header text) and 7-bit transfer
encodings (quoted-printable or base64 for UTF-8 bodies), so any server takes it, with
or without 8BITMIME.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import email.utils
import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage

import cesdk
from cesdk_smtp._replies import SmtpRejectedError

__all__ = [
    "POLICY",
    "AllowList",
    "Recipients",
    "build_message",
    "check_header",
    "message_id",
    "parse_addresses",
]


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, but building each header class once.

    ``HeaderRegistry.__getitem__`` creates a new class on every call, that is for every
    header set and written; that was most of the time spent building a mail.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = email.policy.SMTP.clone(cte_type="7bit", header_factory=_HeaderClasses())
"""CRLF, RFC 2047 headers, 7-bit bodies (quoted-printable/base64 for UTF-8)."""

# Every C0 control, DEL, C1 controls, and the Unicode line and paragraph separators: any
# of them in a header could end it early or confuse a parser downstream.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_DOMAIN = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def check_header(what: str, value: str, event_id: str | None = None) -> str:
    """Return ``value`` if it has no control characters; refuse it otherwise.

    Raises:
        SmtpRejectedError: ``value`` holds CR, LF or another control character, which
            could inject headers; the message names ``what`` and the character.
    """
    found = _CONTROL.search(value)
    if found is not None:
        where = f" for event {event_id!r}" if event_id is not None else ""
        raise SmtpRejectedError(
            f"the {what}{where} contains the control character {found.group()!r} at "
            f"position {found.start()}: refused, as it could inject mail headers "
            f"(value starts {value[:60]!r})"
        )
    return value


def _ascii_domain(domain: str) -> str | None:
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    return ascii_domain.lower() if _DOMAIN.fullmatch(ascii_domain) else None


def parse_address(text: str, *, what: str, event_id: str | None = None) -> Address:
    """One address (``a@example.com`` or ``Name <a@example.com>``), checked.

    Raises:
        SmtpRejectedError: control characters, or not a plain ``local@domain`` address.
    """
    check_header(what, text, event_id)
    name, addr = email.utils.parseaddr(text.strip())
    local, at, domain = addr.rpartition("@")
    ascii_domain = _ascii_domain(domain) if at else None
    if not local or not _LOCAL.fullmatch(local) or ascii_domain is None or ".." in local:
        where = f" of event {event_id!r}" if event_id is not None else ""
        raise SmtpRejectedError(
            f"the {what}{where} is not a usable email address: {text.strip()!r} "
            "(expected local@domain or 'Name <local@domain>'; the local part must be ASCII)"
        )
    return Address(display_name=name, username=local, domain=ascii_domain)


def parse_addresses(text: str, *, what: str, event_id: str | None = None) -> list[Address]:
    """Comma-separated addresses, each checked; empty entries are ignored."""
    check_header(what, text, event_id)
    out: list[Address] = []
    # getaddresses splits at commas outside quotes and angle brackets.
    for name, addr in email.utils.getaddresses([text]):
        if not name and not addr:
            if text.strip(" ,"):
                # A fragment getaddresses could not read: report the whole text.
                parse_address(text, what=what, event_id=event_id)
            continue
        shown = f"{name} <{addr}>" if name else addr
        out.append(parse_address(shown, what=what, event_id=event_id))
    return out


class AllowList:
    """Address patterns a recipient must match: ``example.com`` (that domain),
    ``*.example.com`` (its subdomains), ``oncall@example.org`` or ``team-*@example.org``
    (whole addresses, ``fnmatch`` style). Case does not matter.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(p.strip().lower() for p in patterns if p.strip())
        if not self.patterns:
            raise ValueError("allowed_domains is empty: no recipient could be mailed")
        for pattern in self.patterns:
            check_header("allowed_domains pattern", pattern)

    def __repr__(self) -> str:
        return f"AllowList({list(self.patterns)!r})"

    def allows(self, address: Address) -> bool:
        """Whether ``address`` matches a pattern."""
        addr = address.addr_spec.lower()
        domain = address.domain.lower()
        for pattern in self.patterns:
            if "@" in pattern:
                if fnmatch.fnmatchcase(addr, pattern):
                    return True
            elif fnmatch.fnmatchcase(domain, pattern):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Recipients:
    """The header recipients of one mail and who gets it in the envelope."""

    to: tuple[Address, ...]
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()

    def envelope(self) -> tuple[str, ...]:
        """Every recipient's ``local@domain`` once, in order (To, Cc, Bcc)."""
        seen: dict[str, None] = {}
        for address in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(address.addr_spec.lower(), None)
        return tuple(seen)


def _token(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part + b"\x1e")
    return base64.b32encode(digest.digest()[:20]).decode().lower()


def message_id(events: Sequence[cesdk.CloudEvent], domain: str, *, salt: str = "") -> str:
    """``<cesdk.<hash>@domain>``: the same for the same events on every retry.

    The hash covers each event's identity (``source``, ``id``) in order, and ``salt``
    (a digest's recipients), so mail clients thread and deduplicate on it.
    """
    parts = [salt.encode()] + [
        event.source.encode() + b"\x1f" + event.id.encode() for event in events
    ]
    return f"<cesdk.{_token(parts)}@{domain}>"


def build_message(
    *,
    sender: Address,
    recipients: Recipients,
    subject: str,
    text: str,
    html: str | None,
    msg_id: str,
    events: Sequence[cesdk.CloudEvent],
    event_id: str | None,
    reply_to: Address | None = None,
) -> bytes:
    """The message as bytes for DATA (Bcc recipients are not written in its headers).

    Raises:
        SmtpRejectedError: a header value holds a control character.
    """
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = check_header("subject", subject, event_id)
    msg["From"] = sender
    if recipients.to:
        msg["To"] = recipients.to
    elif not recipients.cc:
        msg["To"] = "undisclosed-recipients:;"
    if recipients.cc:
        msg["Cc"] = recipients.cc
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = msg_id
    # RFC 3834: automatic mail; vacation responders must not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    if len(events) == 1:
        event = events[0]
        msg["X-CloudEvents-Id"] = check_header("event id", event.id, event_id)
        msg["X-CloudEvents-Source"] = check_header("event source", event.source, event_id)
        msg["X-CloudEvents-Type"] = check_header("event type", event.type, event_id)
    else:
        msg["X-CloudEvents-Count"] = str(len(events))
    msg.set_content(text, subtype="plain", charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
        # A boundary of our own spares the generator a fresh regular expression per
        # mail; "=_" never occurs in quoted-printable or base64 text.
        boundary = "=_cesdk_" + msg_id.strip("<>").partition("@")[0].removeprefix("cesdk.")
        if boundary not in text and boundary not in html:
            msg.set_boundary(boundary)
    return msg.as_bytes()
