"""A real SMTP server for tests: aiosmtpd on a free loopback port, in its own thread.

It speaks plain SMTP, STARTTLS or implicit TLS with certificates from a throwaway CA
(trustme), optionally requires AUTH, answers DATA and RCPT with the replies a test
scripts (``451`` once, then ``250``; always ``554``...), counts connections, and records
every message it accepted, parsed with the standard ``email`` package.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import ssl
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from cesdk.testing import free_port, until

__all__ = ["ReceivedMessage", "Replies", "SmtpServer"]

ServerTls = Literal["none", "starttls", "implicit"]

ReplySpec = str | Sequence[str]
"""A reply for every command (``"554 5.7.1 No"``), or replies used once each, in order,
before the normal ``250`` (``["451 4.3.0 Try later"]``)."""


class Replies:
    """Scripted replies: ``next()`` gives the reply to use now, or ``None`` for "accept"."""

    def __init__(self, spec: ReplySpec = ()) -> None:
        self._always = spec if isinstance(spec, str) else None
        self._queue: Iterator[str] = iter(() if isinstance(spec, str) else list(spec))
        self._lock = threading.Lock()

    def next(self) -> str | None:
        """The scripted reply for this command, or ``None`` to answer normally."""
        if self._always is not None:
            return self._always
        with self._lock:
            return next(self._queue, None)


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it.

    Attributes:
        mail_from: the envelope sender (``MAIL FROM``).
        rcpt_tos: the envelope recipients the server accepted (``RCPT TO``).
        raw: the message bytes, as sent after ``DATA``.
        connection: which connection (1, 2, ...) carried it.
        tls: whether the connection was encrypted (STARTTLS or implicit TLS).
        username: the AUTH user, if the client logged in.
        reply: what the server answered to ``DATA``.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    connection: int
    tls: bool
    username: str | None
    reply: str
    _parsed: list[EmailMessage] = field(default_factory=list, repr=False, compare=False)

    @property
    def message(self) -> EmailMessage:
        """:attr:`raw` parsed with ``email.policy.default`` (on first use: the server stays
        fast under load)."""
        if not self._parsed:
            self._parsed.append(email.message_from_bytes(self.raw, policy=email.policy.default))
        return self._parsed[0]

    @property
    def subject(self) -> str:
        """The decoded ``Subject``."""
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The decoded ``text/plain`` part (``""`` if none), with LF line ends."""
        part = self.message.get_body(("plain",))
        text = str(part.get_content()) if part is not None else ""
        return text.replace("\r\n", "\n")

    @property
    def html(self) -> str:
        """The decoded ``text/html`` part (``""`` if none), with LF line ends."""
        part = self.message.get_body(("html",))
        text = str(part.get_content()) if part is not None else ""
        return text.replace("\r\n", "\n")

    def header(self, name: str) -> str | None:
        """A decoded header, or ``None``."""
        value = self.message[name]
        return None if value is None else str(value)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(  # noqa: N802  # aiosmtpd's hook name
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.server.mail_replies.next()
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        replies = self.server.rcpt_replies.get(address.lower())
        reply = replies.next() if replies is not None else None
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802  # aiosmtpd's hook name
        self, smtp: SMTP, session: Session, envelope: Envelope
    ) -> str:
        reply = self.server.data_replies.next() or "250 2.0.0 Message accepted"
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        transport = smtp.transport
        auth = session.auth_data
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            connection=self.server._number_of(smtp),
            tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            username=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            reply=reply,
        )
        self.server._record(received, accepted=reply.startswith("2"))
        return reply


class _KnownNoise(logging.Filter):
    """Drops two warnings aiosmtpd logs on every AUTH and connection in this set-up."""

    NOISE = ("Session.login_data is deprecated", "auth_required == True but auth_require_tls")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.NOISE)


_NOISE_FILTER = _KnownNoise()


class _Controller(Controller):
    def __init__(self, owner: SmtpServer, *args: Any, **kwargs: Any) -> None:
        self.owner = owner
        super().__init__(*args, **kwargs)

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # Implicit TLS is TLS too, though aiosmtpd only counts STARTTLS as such and
            # warns that AUTH does not require it.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            smtp: SMTP = super().factory()  # type: ignore[no-untyped-call]  # aiosmtpd: untyped
        self.owner._opened(smtp)
        return smtp


class SmtpServer:
    """An aiosmtpd server on ``127.0.0.1`` for tests; a context manager (sync or async).

    Args:
        tls: ``"none"``, ``"starttls"`` (offered and required before MAIL) or
            ``"implicit"`` (TLS from the first byte).
        auth: ``{username: password}``; when given, AUTH is required before MAIL.
        data_replies: scripted answers to DATA (see :data:`ReplySpec`), e.g.
            ``["451 4.3.0 Try again later"]`` (once, then accept) or
            ``"554 5.7.1 Message rejected"`` (always).
        rcpt_replies: scripted answers to RCPT per address (lower case).
        mail_replies: scripted answers to MAIL FROM.
        port: the port (a free one by default); kept across :meth:`restart`.
        certificate_authority: the CA that signs the server certificate (a new one by
            default); clients trust it through :attr:`ca_file`.
        certificate_names: the host names and IP addresses the certificate is for.

    Attributes:
        messages: every message accepted, in order (:class:`ReceivedMessage`).
        refused: every message whose DATA was answered with a scripted refusal.
        connections: connections opened by clients since the server started.
        ca_file: PEM file of the CA that signed the server's certificate.

    Example:
        ::

            with SmtpServer(tls="starttls", auth={"u": "p"}) as server:
                sink = SmtpSink(server.host, server.port, ca_file=server.ca_file, ...)
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        tls: ServerTls = "none",
        auth: Mapping[str, str] | None = None,
        data_replies: ReplySpec = (),
        rcpt_replies: Mapping[str, ReplySpec] | None = None,
        mail_replies: ReplySpec = (),
        port: int | None = None,
        certificate_authority: trustme.CA | None = None,
        certificate_names: Sequence[str] = ("127.0.0.1", "localhost"),
    ) -> None:
        if tls not in ("none", "starttls", "implicit"):
            raise ValueError(f"tls must be 'none', 'starttls' or 'implicit', got {tls!r}")
        self.tls = tls
        self.auth = dict(auth) if auth is not None else None
        self.data_replies = Replies(data_replies)
        self.rcpt_replies = {k.lower(): Replies(v) for k, v in (rcpt_replies or {}).items()}
        self.mail_replies = Replies(mail_replies)
        self.port = port if port is not None else free_port()
        self.ca = certificate_authority or trustme.CA()
        self.messages: list[ReceivedMessage] = []
        self.refused: list[ReceivedMessage] = []
        self.connections = 0
        self._live: list[SMTP] = []
        self._lock = threading.Lock()
        self._controller: _Controller | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="cesdk-smtp-")
        self.ca_file = str(Path(self._dir.name) / "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)
        self._server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*certificate_names).configure_cert(self._server_context)

    def __repr__(self) -> str:
        return (
            f"SmtpServer({self.host}:{self.port}, tls={self.tls!r}, auth={self.auth is not None})"
        )

    # -- life cycle -------------------------------------------------------------

    def start(self) -> SmtpServer:
        """Listen on :attr:`port` (again, after :meth:`stop`)."""
        if self._controller is not None:
            return self
        aiosmtpd_log = logging.getLogger("mail.log")
        if _NOISE_FILTER not in aiosmtpd_log.filters:
            aiosmtpd_log.addFilter(_NOISE_FILTER)
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": "cesdk-test-smtp",
            "ready_timeout": 10.0,
            "enable_SMTPUTF8": True,
        }
        if self.tls == "implicit":
            kwargs["ssl_context"] = self._server_context
        elif self.tls == "starttls":
            kwargs["tls_context"] = self._server_context
            kwargs["require_starttls"] = True
        if self.auth is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
            # aiosmtpd only counts STARTTLS as TLS; with implicit TLS (or a plain test
            # server) AUTH must be allowed on the connection as it is.
            kwargs["auth_require_tls"] = self.tls == "starttls"
        controller = _Controller(self, _Handler(self), **kwargs)
        deadline = time.monotonic() + 10
        while True:
            try:
                controller.start()
                break
            except OSError:  # the port of a just-stopped server may linger a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # retrying a bind, not synchronising with a test
        # start() opened one connection itself to check the server: it does not count.
        with self._lock:
            self.connections = 0
            self._live.clear()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Close every client connection and stop listening."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        done = threading.Event()

        def close_all() -> None:
            with self._lock:
                live, self._live = list(self._live), []
            for smtp in live:
                if smtp.transport is not None:
                    smtp.transport.close()
            done.set()

        controller.loop.call_soon_threadsafe(close_all)
        done.wait(5)
        controller.stop()

    def restart(self) -> None:
        """Stop (dropping every client connection) and listen again on the same port."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and remove the certificate files."""
        self.stop()
        self._dir.cleanup()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> SmtpServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close)

    # -- what happened ------------------------------------------------------------

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages were accepted; return them all."""
        await until(
            lambda: len(self.messages) >= count,
            timeout=timeout,
            what=f"{count} message(s) at {self!r} (have {len(self.messages)})",
        )
        return list(self.messages)

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._lock:
            self.messages.clear()
            self.refused.clear()

    # -- aiosmtpd hooks (called in the server's thread) ------------------------------

    def _opened(self, smtp: SMTP) -> None:
        with self._lock:
            self.connections += 1
            smtp.cesdk_connection_number = self.connections  # type: ignore[attr-defined]
            self._live.append(smtp)

    @staticmethod
    def _number_of(smtp: SMTP) -> int:
        return int(getattr(smtp, "cesdk_connection_number", 0))

    def _record(self, message: ReceivedMessage, *, accepted: bool) -> None:
        with self._lock:
            (self.messages if accepted else self.refused).append(message)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.auth is not None:
            login = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if login in self.auth and self.auth[login] == password:
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)
