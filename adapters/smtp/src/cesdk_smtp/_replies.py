"""What an SMTP server's replies mean for the pipeline (RFC 5321 4.2.1 and 4.5.3.2).

A 4yz reply is a transient failure: the same command may succeed later, so the event is
retried. A 5yz reply is permanent: retrying the same mail cannot help, so the event is
dead-lettered with the code and the server's text. Network errors and timeouts are
retryable; a certificate that fails verification, a server without STARTTLS when it is
required, and rejected credentials are permanent (they need a change of configuration).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import aiosmtplib

import cesdk

__all__ = [
    "Refusal",
    "SmtpDeferredError",
    "SmtpRejectedError",
    "connection_error",
    "describe_refusals",
    "is_transient",
    "reply_error",
]

Refusal = tuple[int, str]
"""An SMTP reply code and the server's text."""


def is_transient(code: int) -> bool:
    """Whether a reply code means "try again later" (4yz, or no valid reply at all)."""
    return not 500 <= code < 600


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_refusals(refusals: Mapping[str, Refusal]) -> str:
    """``a@x (550 no such user), b@y (451 try later)``."""
    return ", ".join(
        f"{addr} ({code} {_one_line(text)})" for addr, (code, text) in refusals.items()
    )


class _SmtpReplyError(cesdk.DeliveryError):
    """What both outcomes carry: the reply, and who was refused or already has the mail."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reply: str = "",
        recipients: Mapping[str, Refusal] | None = None,
        delivered: tuple[str, ...] = (),
    ) -> None:
        self.code, self.reply = code, reply
        self.recipients: dict[str, Refusal] = dict(recipients or {})
        self.delivered = delivered
        super().__init__(message)


class SmtpRejectedError(_SmtpReplyError, cesdk.PermanentDeliveryError):
    """The server refused for good (5yz), or the mail cannot be sent as configured.

    Attributes:
        code: the SMTP reply code (``None`` when no server reply caused it).
        reply: the server's text.
        recipients: each refused recipient's ``(code, text)``.
        delivered: recipients that have the mail, from this attempt or an earlier one
            (they are not mailed again).
    """


class SmtpDeferredError(_SmtpReplyError, cesdk.RetryableDeliveryError):
    """The server answered 4yz, or the connection failed: the pipeline retries.

    Attributes:
        code: the SMTP reply code (``None`` for network errors and timeouts).
        reply: the server's text.
        recipients: each recipient refused for now, with ``(code, text)``.
        delivered: recipients that have the mail, from this attempt or an earlier one
            (a retry skips them).
    """


def reply_error(what: str, code: int, text: str) -> cesdk.DeliveryError:
    """The delivery error for a refused command: ``what`` says which (``"DATA"``...)."""
    detail = f"{what}: the server answered {code} {_one_line(text)}"
    if is_transient(code):
        return SmtpDeferredError(detail, code=code, reply=text)
    return SmtpRejectedError(detail, code=code, reply=text)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def connection_error(
    exc: BaseException, *, server: str, username: str | None
) -> cesdk.DeliveryError:
    """The delivery error for a failure to connect, upgrade to TLS or log in.

    Messages name the server and the user, never the password.
    """
    chain = _causes(exc)
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return SmtpRejectedError(
                f"TLS certificate verification failed for {server}: "
                f"{cause.verify_message or cause.reason or cause}. Pass ca_file= with the CA "
                "that signed the server's certificate (a private CA), or check the host name; "
                "verify=False turns checking off (insecure)."
            )
    for cause in chain:
        if isinstance(cause, aiosmtplib.SMTPAuthenticationError):
            code, text = cause.code, cause.message
            detail = (
                f"authentication failed for user {username!r} at {server}: "
                f"the server answered {code} {_one_line(text)}"
            )
            if is_transient(code):  # 454: temporary authentication failure
                return SmtpDeferredError(detail, code=code, reply=text)
            return SmtpRejectedError(
                detail + " (check username and password)", code=code, reply=text
            )
    for cause in chain:
        if isinstance(cause, ssl.SSLError):
            return SmtpDeferredError(f"TLS handshake with {server} failed: {cause}")
    for cause in chain:
        if isinstance(cause, aiosmtplib.SMTPResponseException):
            code, text = cause.code, cause.message
            return reply_error(f"connecting to {server}", code, text)
    for cause in chain:
        if isinstance(cause, aiosmtplib.SMTPNotSupported) or (
            type(cause) is aiosmtplib.SMTPException and "STARTTLS" in str(cause).upper()
        ):
            return SmtpRejectedError(
                f"{server} does not offer STARTTLS, which tls='starttls' requires: use "
                "tls='implicit' for a server that speaks TLS from the start (port 465), or "
                "tls='none' for a plain local relay"
            )
        if type(cause) is aiosmtplib.SMTPException and "AUTH" in str(cause).upper():
            return SmtpRejectedError(
                f"{server} does not offer authentication for user {username!r}: {cause}"
            )
    if isinstance(exc, (TimeoutError, aiosmtplib.SMTPTimeoutError)):
        return SmtpDeferredError(f"timed out talking to {server}: {exc}")
    return SmtpDeferredError(f"cannot reach {server}: {_one_line(str(exc)) or type(exc).__name__}")
