"""``SmtpSink``: mail events as multipart text + HTML, over pooled (STARTTLS) connections."""

from __future__ import annotations

import datetime as dt
import json
import logging
import ssl
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

import cesdk
from cesdk import templates
from cesdk_smtp._connection import (
    Connection,
    ConnectionPool,
    Settings,
    TlsMode,
    is_loopback,
    resolve_tls,
)
from cesdk_smtp._connection import tls_context as make_tls_context
from cesdk_smtp._digest import DigestQueue
from cesdk_smtp._message import (
    AllowList,
    Recipients,
    build_message,
    check_header,
    message_id,
    parse_address,
    parse_addresses,
)
from cesdk_smtp._render import (
    TemplateSource,
    digest_item,
    load,
    one_line,
    unpack_core_digest,
)
from cesdk_smtp._replies import (
    Refusal,
    SmtpDeferredError,
    SmtpRejectedError,
    connection_error,
    describe_refusals,
    is_transient,
    reply_error,
)

__all__ = ["SmtpSink"]

log = logging.getLogger("cesdk.smtp")

Addresses = str | Sequence[str] | None


class _StaleConnectionError(Exception):
    """A reused connection turned out closed before anything was sent on it."""


@dataclass(frozen=True)
class _DigestKey:
    """Events with the same recipients (and the same ones still to mail) share a digest."""

    header: tuple[str, ...]
    pending: tuple[str, ...]
    recipients: Recipients = field(compare=False, hash=False)


Seconds = float | str
"""A number of seconds, or an ISO 8601 duration such as ``PT5M``."""


def _seconds(value: Seconds | None, option: str) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return cesdk.parse_duration(value)
    except ValueError:
        raise ValueError(
            f"{option} is a number of seconds or an ISO 8601 duration (PT5M), not {value!r}"
        ) from None


def _as_list(value: Addresses) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class SmtpSink:
    """Mail each event (or a digest of several) through an SMTP server.

    Every mail is ``multipart/alternative`` with a text and an HTML part rendered from
    templates (``cesdk.templates``; the shipped defaults format Kubernetes Events and
    any other event). The ``Message-ID`` is derived from the event's ``source`` and
    ``id``, so a retried mail carries the same one and mail clients deduplicate and
    thread it; ``X-CloudEvents-Id``, ``-Source`` and ``-Type`` name the event.

    Replies decide the outcome: 4yz, timeouts and lost connections raise
    :class:`SmtpDeferredError` (retryable); 5yz raises :class:`SmtpRejectedError`
    (permanent) with the code and the server's text. When some recipients accept and
    others refuse, the accepted ones are remembered (``state_store``) so that a retry
    (or a replay of the dead letter) mails only the others.

    Args:
        host: the SMTP server.
        port: default 465 for ``tls="implicit"``, 587 for ``"starttls"``, 25 for ``"none"``.
        from_addr: the sender, ``alerts@example.com`` or ``Alerts <alerts@example.com>``;
            its domain names the Message-IDs.
        to, cc, bcc: recipients: a list, or one comma-separated string.
        to_template: a template whose rendering is a comma-separated list of recipients
            (used instead of ``to``), e.g. ``"{{ data.owner }}@example.com"``.
        allowed_domains: patterns every recipient must match: ``example.com``,
            ``*.example.com``, ``oncall@example.org``, ``team-*@example.org``. An event
            whose rendered recipient matches none is refused (permanent error naming
            the address).
        reply_to: a ``Reply-To`` address.
        subject_template, text_template, html_template: the mail; by default
            ``templates.default("email_subject" | "email_text" | "email_html")``.
            Inline Jinja2 text, ``"file:<path>"``, a ``pathlib.Path``, a callable
            ``(event) -> str`` or a ``Template``; ``html_template=False`` sends text only.
        tls: ``"starttls"`` (upgrade required: a server without STARTTLS is an error),
            ``"implicit"`` (TLS from the first byte, port 465) or ``"none"`` (a plain
            local relay). Default: ``"implicit"`` when ``port`` is 465, else
            ``"starttls"``.
        username, password: AUTH credentials (never logged, shown or put in errors).
            A password is only sent over TLS, or to a loopback relay.
        verify: check the server's certificate and host name (on by default).
        ca_file: PEM file of the CA(s) that signed the server's certificate (private CA).
        tls_context: an ``ssl.SSLContext`` to use instead (Python only).
        timeout: seconds for connecting and for each SMTP command. Every duration
            option takes seconds or an ISO 8601 duration (``"PT5M"``).
        pool_size: connections at most; concurrent sends share them.
        idle_timeout: seconds a connection may stay unused before it is closed.
        max_messages_per_connection: mails per connection before it is replaced.
        local_hostname: the name sent in EHLO (default: this host's FQDN).
        digest_size: digest mode: one mail per this many events per recipient set.
        digest_interval: digest mode: seconds a digest waits for more events (60 when
            only ``digest_size`` is given). Each ``send`` returns when the digest
            carrying its event was accepted, so the pipeline's ``concurrency`` bounds
            how many events one digest can hold.
        digest_subject_template, digest_text_template, digest_html_template: the
            digest mail; they see ``items`` (per event: ``type subject time headline
            summary id source data event``), ``events``, ``count``, ``first_time``,
            ``last_time`` and ``recipients``.
        state_store: where recipients that accepted a partly refused mail are
            remembered: a ``cesdk.StateStore`` or a ``redis://`` URL; in memory by
            default.
        progress_ttl: seconds that memory is kept (a week).

    Example:
        >>> sink = SmtpSink("smtp.example.com", from_addr="alerts@example.com",
        ...                 to=["oncall@example.com"], username="alerts",
        ...                 password="...")  # doctest: +SKIP
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int | None = None,
        *,
        from_addr: str,
        to: Addresses = None,
        cc: Addresses = None,
        bcc: Addresses = None,
        to_template: TemplateSource | None = None,
        allowed_domains: Sequence[str] | None = None,
        reply_to: str | None = None,
        subject_template: TemplateSource | None = None,
        text_template: TemplateSource | None = None,
        html_template: TemplateSource | Literal[False] | None = None,
        tls: TlsMode | None = None,
        username: str | None = None,
        password: str | None = None,
        verify: bool = True,
        ca_file: str | None = None,
        tls_context: ssl.SSLContext | None = None,
        timeout: Seconds = 30.0,
        pool_size: int = 2,
        idle_timeout: Seconds = 60.0,
        max_messages_per_connection: int = 100,
        local_hostname: str | None = None,
        digest_size: int | None = None,
        digest_interval: Seconds | None = None,
        digest_subject_template: TemplateSource | None = None,
        digest_text_template: TemplateSource | None = None,
        digest_html_template: TemplateSource | Literal[False] | None = None,
        state_store: cesdk.StateStore | str | None = None,
        progress_ttl: Seconds = 7 * 86400.0,
    ) -> None:
        timeout = _seconds(timeout, "timeout") or 0.0
        idle_timeout = _seconds(idle_timeout, "idle_timeout") or 0.0
        digest_interval = _seconds(digest_interval, "digest_interval")
        progress_ttl = _seconds(progress_ttl, "progress_ttl") or 0.0
        check_header("host", host)
        mode, resolved_port = resolve_tls(tls, port)
        if timeout <= 0 or pool_size < 1 or idle_timeout <= 0 or max_messages_per_connection < 1:
            raise ValueError(
                "timeout and idle_timeout must be > 0, pool_size and "
                "max_messages_per_connection >= 1"
            )
        if password is not None and username is None:
            raise ValueError("a password needs a username")
        if username is not None and mode == "none" and not is_loopback(host):
            raise ValueError(
                f"refusing to send the password for {username!r} unencrypted to {host}: use "
                "tls='starttls' or tls='implicit' (tls='none' with AUTH is allowed to a "
                "loopback relay only)"
            )
        if mode != "none" and not verify:
            log.warning(
                "SMTP to %s:%d: certificate checks are OFF (verify=False)", host, resolved_port
            )
        if tls_context is not None and (ca_file is not None or not verify):
            raise ValueError("give tls_context, or ca_file/verify, not both")
        context = None
        if mode != "none":
            context = tls_context or make_tls_context(verify=verify, ca_file=ca_file)

        self.host, self.port, self.tls = host, resolved_port, mode
        self.username = username
        self.sender = parse_address(from_addr, what="from_addr")
        self.reply_to = parse_address(reply_to, what="reply_to") if reply_to else None
        self.allow = AllowList(allowed_domains) if allowed_domains is not None else None
        self.to = tuple(a for t in _as_list(to) for a in parse_addresses(t, what="to address"))
        self.cc = tuple(a for t in _as_list(cc) for a in parse_addresses(t, what="cc address"))
        self.bcc = tuple(a for t in _as_list(bcc) for a in parse_addresses(t, what="bcc address"))
        if to_template is not None and self.to:
            raise ValueError("give to (fixed recipients) or to_template, not both")
        if to_template is None and not (self.to or self.cc or self.bcc):
            raise ValueError("the SMTP sink needs recipients: to=[...], cc, bcc or to_template")
        for address in (*self.to, *self.cc, *self.bcc):
            if self.allow is not None and not self.allow.allows(address):
                raise ValueError(
                    f"the configured recipient {address.addr_spec} is not in allowed_domains "
                    f"{list(self.allow.patterns)}"
                )
        if to_template is not None and self.allow is None:
            log.warning(
                "SMTP sink: to_template without allowed_domains lets events choose any "
                "recipient; set allowed_domains to restrict them"
            )
        self._to_template = (
            load(to_template, default="", escape="none", option="to_template")
            if to_template is not None
            else None
        )
        self._subject = load(
            subject_template, default="email_subject", escape="none", option="subject_template"
        )
        self._text = load(
            text_template, default="email_text", escape="none", option="text_template"
        )
        self._html = (
            None
            if html_template is False
            else load(html_template, default="email_html", escape="html", option="html_template")
        )
        self._settings = Settings(
            host=host,
            port=resolved_port,
            tls=mode,
            context=context,
            username=username,
            password=password,
            timeout=timeout,
            local_hostname=local_hostname,
        )
        self._pool = ConnectionPool(
            self._settings,
            size=pool_size,
            idle_timeout=idle_timeout,
            max_messages=max_messages_per_connection,
        )
        self._digest: DigestQueue | None = None
        if digest_size is not None or digest_interval is not None:
            self._digest = DigestQueue(
                self._send_digest,
                size=digest_size if digest_size is not None else 1_000_000,
                interval=digest_interval if digest_interval is not None else 60.0,
            )
        self._digest_subject = load(
            digest_subject_template,
            default="digest_subject",
            escape="none",
            option="digest_subject_template",
        )
        self._digest_text = load(
            digest_text_template,
            default="digest_text",
            escape="none",
            option="digest_text_template",
        )
        self._digest_html = (
            None
            if digest_html_template is False
            else load(
                digest_html_template,
                default="digest_html",
                escape="html",
                option="digest_html_template",
            )
        )
        # A redis:// URL gets a store of our own, opened on use and closed with the sink.
        self._store_url = state_store if isinstance(state_store, str) else None
        self._store: cesdk.StateStore | None
        if state_store is None:
            self._store = cesdk.MemoryDedupStore()
        elif isinstance(state_store, str):
            self._store = None
        else:
            self._store = state_store
        self.progress_ttl = progress_ttl
        self._identity = f"{host}:{resolved_port}\x1f{self.sender.addr_spec.lower()}"

    @classmethod
    def from_url(cls, url: str, *, mode: str | None = None, **options: Any) -> SmtpSink:
        """A sink from ``smtp://[user:password@]host[:port]?from=...&to=a,b[&tls=...]``.

        ``mode`` is accepted for ``cesdk send`` and ignored.
        """
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("smtp", "smtps"):
            raise ValueError(f"an SMTP URL starts with smtp:// or smtps://, got {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        kwargs: dict[str, Any] = {
            "host": parts.hostname or "localhost",
            "port": parts.port,
            "from_addr": query.pop("from", None) or options.pop("from_addr", None),
            "tls": query.pop("tls", None) or ("implicit" if parts.scheme == "smtps" else None),
        }
        if "to" in query:
            kwargs["to"] = query.pop("to")
        if parts.username:
            kwargs["username"] = unquote(parts.username)
        if parts.password:
            kwargs["password"] = unquote(parts.password)
        if query:
            raise ValueError(f"unknown SMTP URL parameters: {', '.join(sorted(query))}")
        if kwargs["from_addr"] is None:
            raise ValueError("an SMTP URL needs ?from=<sender address>")
        kwargs.update(options)
        return cls(**kwargs)

    def __repr__(self) -> str:
        user = f", username={self.username!r}" if self.username else ""
        return (
            f"SmtpSink({self.host!r}, {self.port}, tls={self.tls!r}, "
            f"from_addr={self.sender.addr_spec!r}{user})"
        )

    @property
    def connections_opened(self) -> int:
        """How many connections this sink has opened (a reused one counts once)."""
        return self._pool.opened

    async def __aenter__(self) -> SmtpSink:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._digest is not None:
                await self._digest.close()
        finally:
            await self._pool.close()
            if self._store_url is not None and self._store is not None:
                store, self._store = self._store, None
                await store.close()

    def _state(self) -> cesdk.StateStore:
        if self._store is None:
            assert self._store_url is not None  # set in __init__ otherwise
            self._store = cesdk.RedisDedupStore(self._store_url, prefix="cesdk:smtp:")
        return self._store

    # -- sending ------------------------------------------------------------------

    async def send(self, event: cesdk.CloudEvent) -> None:
        """Mail ``event`` (in digest mode: with its digest) and return once accepted.

        Raises:
            SmtpDeferredError: 4yz replies, timeouts, lost connections (retryable).
            SmtpRejectedError: 5yz replies, recipients outside ``allowed_domains``,
                control characters in a header, bad certificates or credentials.
            cesdk.templates.TemplateError: a template failed for this event (permanent).
        """
        recipients = self._recipients(event)
        pending = await self._pending(event, recipients.envelope())
        if not pending:
            log.info("event %s was mailed to every recipient already; nothing to send", event.id)
            return
        held = unpack_core_digest(event)
        if held is not None:
            await self._send_digest(_DigestKey((), pending, recipients), list(held), [event])
            return
        if self._digest is not None:
            # The same digest only for the same To/Cc/Bcc headers and pending recipients.
            header = (
                *(str(a) for a in recipients.to),
                "|",
                *(str(a) for a in (*recipients.cc, *recipients.bcc)),
            )
            await self._digest.add(_DigestKey(header, pending, recipients), event)
            return
        subject = self._subject.render(event).strip()
        subject = check_header("rendered subject", subject, event.id) or event.type
        data = build_message(
            sender=self.sender,
            recipients=recipients,
            subject=subject,
            text=self._text.render(event),
            html=self._html.render(event) if self._html is not None else None,
            msg_id=message_id([event], self.sender.domain),
            events=[event],
            event_id=event.id,
            reply_to=self.reply_to,
        )
        await self._mail(
            [event],
            pending,
            data,
            what=f"event {event.id!r}",
            done_before=tuple(a for a in recipients.envelope() if a not in pending),
        )

    def _recipients(self, event: cesdk.CloudEvent) -> Recipients:
        to = self.to
        if self._to_template is not None:
            rendered = self._to_template.render(event).strip()
            to = tuple(parse_addresses(rendered, what="rendered recipient", event_id=event.id))
            if not to and not (self.cc or self.bcc):
                raise SmtpRejectedError(f"to_template rendered no recipient for event {event.id!r}")
        if self.allow is not None and self._to_template is not None:
            for address in to:
                if not self.allow.allows(address):
                    raise SmtpRejectedError(
                        f"recipient {address.addr_spec} (rendered for event {event.id!r}) is "
                        f"not allowed: allowed_domains is {list(self.allow.patterns)}"
                    )
        return Recipients(to=to, cc=self.cc, bcc=self.bcc)

    def _progress_key(self, event: cesdk.CloudEvent) -> str:
        return f"progress\x1f{self._identity}\x1f{event.source}\x1f{event.id}"

    async def _pending(self, event: cesdk.CloudEvent, envelope: tuple[str, ...]) -> tuple[str, ...]:
        try:
            value = await self._state().get(self._progress_key(event))
        except Exception as exc:  # a store outage must not stop mail: at worst a repeat
            log.warning("SMTP sink: state store failed (%r); mailing every recipient", exc)
            return envelope
        if not value:
            return envelope
        done = set(json.loads(value))
        return tuple(addr for addr in envelope if addr not in done)

    async def _remember(self, events: Sequence[cesdk.CloudEvent], accepted: Sequence[str]) -> None:
        for event in events:
            key = self._progress_key(event)
            try:
                store = self._state()
                before = await store.get(key)
                done = sorted(set(json.loads(before) if before else ()) | set(accepted))
                await store.put(key, json.dumps(done), self.progress_ttl)
            except Exception as exc:
                log.warning("SMTP sink: cannot remember delivered recipients (%r)", exc)

    async def _send_digest(
        self,
        key: Hashable,
        events: list[cesdk.CloudEvent],
        progress_events: list[cesdk.CloudEvent] | None = None,
    ) -> None:
        assert isinstance(key, _DigestKey)
        items = [digest_item(event, self._headline(event)) for event in events]
        times = sorted(t for t in (item["time"] for item in items) if t is not None)
        pending = key.pending
        msg_id = message_id(events, self.sender.domain, salt=",".join(pending))
        summary_event = cesdk.CloudEvent(
            type="dev.cesdk.digest",
            source="/cesdk/smtp/digest",
            id=msg_id.strip("<>").partition("@")[0],
            time=dt.datetime.now(dt.UTC),
        )
        params: dict[str, Any] = {
            "items": items,
            "events": events,
            "count": len(events),
            "first_time": times[0] if times else None,
            "last_time": times[-1] if times else None,
            "recipients": list(pending),
        }
        subject = self._digest_subject.render(summary_event, **params).strip()
        data = build_message(
            sender=self.sender,
            recipients=key.recipients,
            subject=check_header("rendered digest subject", subject) or f"{len(events)} events",
            text=self._digest_text.render(summary_event, **params),
            html=(
                self._digest_html.render(summary_event, **params)
                if self._digest_html is not None
                else None
            ),
            msg_id=msg_id,
            events=events,
            event_id=None,
            reply_to=self.reply_to,
        )
        await self._mail(
            progress_events if progress_events is not None else events,
            pending,
            data,
            what=f"digest of {len(events)} events",
            done_before=tuple(a for a in key.recipients.envelope() if a not in pending),
        )

    def _headline(self, event: cesdk.CloudEvent) -> str:
        try:
            return one_line(self._subject.render(event)) or event.type
        except templates.TemplateError as exc:
            log.warning("digest: subject template failed for event %s: %s", event.id, exc)
            subject = event.get("subject")
            return f"{event.type}: {subject}" if subject else event.type

    async def _mail(
        self,
        events: Sequence[cesdk.CloudEvent],
        pending: tuple[str, ...],
        data: bytes,
        *,
        what: str,
        done_before: tuple[str, ...],
    ) -> None:
        accepted, refused = await self._transact(pending, data, what=what)
        if not refused and not done_before:
            return
        if accepted:
            # Partly delivered (now, or before this attempt): a retry must skip these.
            await self._remember(events, accepted)
        if not refused:
            return
        transient = {a: r for a, r in refused.items() if is_transient(r[0])}
        permanent = {a: r for a, r in refused.items() if not is_transient(r[0])}
        everyone = (*done_before, *accepted)
        delivered = f"; delivered to {', '.join(everyone)}" if everyone else ""
        first_code, first_text = next(iter(refused.values()))
        if transient:
            later = f"; refused for good by {describe_refusals(permanent)}" if permanent else ""
            raise SmtpDeferredError(
                f"{what}: refused for now by {describe_refusals(transient)}{later}{delivered}"
                " (a retry mails only the recipients that have not accepted)",
                code=first_code,
                reply=first_text,
                recipients=refused,
                delivered=everyone,
            )
        raise SmtpRejectedError(
            f"{what}: refused by {describe_refusals(permanent)}{delivered}",
            code=first_code,
            reply=first_text,
            recipients=refused,
            delivered=everyone,
        )

    async def _transact(
        self, pending: tuple[str, ...], data: bytes, *, what: str
    ) -> tuple[list[str], dict[str, Refusal]]:
        server = self._pool.server
        for attempt in (1, 2):
            try:
                conn = await self._pool.acquire()
            except Exception as exc:
                raise connection_error(exc, server=server, username=self.username) from exc
            healthy = False
            try:
                result = await self._transaction(conn, pending, data, what=what)
                healthy = True
                return result
            except cesdk.DeliveryError:
                healthy = conn.client.is_connected
                raise
            except _StaleConnectionError as exc:
                if attempt == 1:
                    log.debug(
                        "SMTP connection to %s was closed by the server; reconnecting", server
                    )
                    continue
                raise SmtpDeferredError(f"{what}: connection to {server} lost: {exc}") from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise SmtpDeferredError(
                    f"{what}: connection to {server} failed: {exc or type(exc).__name__}"
                ) from exc
            finally:
                self._pool.release(conn, healthy=healthy)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _transaction(
        self, conn: Connection, pending: tuple[str, ...], data: bytes, *, what: str
    ) -> tuple[list[str], dict[str, Refusal]]:
        client = conn.client
        sender = self.sender.addr_spec
        try:
            await client.mail(sender)
        except aiosmtplib.SMTPSenderRefused as exc:
            if conn.reused and exc.code == 421:
                raise _StaleConnectionError(f"{exc.code} {exc.message}") from exc
            await self._rset(client)
            raise reply_error(f"{what}: MAIL FROM:<{sender}>", exc.code, exc.message) from None
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
            if conn.reused:
                raise _StaleConnectionError(str(exc) or type(exc).__name__) from exc
            raise
        accepted: list[str] = []
        refused: dict[str, Refusal] = {}
        for address in pending:
            try:
                await client.rcpt(address)
            except aiosmtplib.SMTPRecipientRefused as exc:
                refused[address] = (exc.code, exc.message)
            else:
                accepted.append(address)
        if not accepted:
            await self._rset(client)
            return accepted, refused
        try:
            await client.data(data)
        except aiosmtplib.SMTPDataError as exc:
            await self._rset(client)
            raise reply_error(f"{what}: DATA", exc.code, exc.message) from None
        conn.sent += 1
        return accepted, refused

    @staticmethod
    async def _rset(client: aiosmtplib.SMTP) -> None:
        if not client.is_connected:
            return
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            client.close()  # the session state is unknown: do not reuse it
