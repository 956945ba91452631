"""NatsSink: publish events to a subject, core or JetStream (awaiting the PubAck)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from cesdk import (
    CESDKError,
    CloudEvent,
    EncodeError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from cesdk.bindings.nats import to_binary, to_structured
from cesdk_nats._connection import connect, flush_to_server, server_list
from cesdk_nats._subject import SubjectTemplate

__all__ = ["NatsSink"]

_MSG_ID = "Nats-Msg-Id"
_TRUE = ("1", "true", "yes", "on")
# Connection trouble that a later try can get past.
_RETRYABLE = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.SlowConsumerError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    TimeoutError,
    ConnectionError,
)


def _classify(exc: BaseException, subject: str) -> CESDKError:
    if isinstance(exc, _RETRYABLE):
        return RetryableDeliveryError(f"NATS publish to {subject!r} failed: {exc!r}")
    if isinstance(exc, nats.js.errors.APIError):
        code = exc.code or 0
        if code >= 500 or code in (408, 429):
            return RetryableDeliveryError(f"JetStream refused {subject!r}: {exc}")
        return PermanentDeliveryError(f"JetStream refused {subject!r}: {exc}")
    if isinstance(exc, nats.errors.Error):  # bad subject, payload too large, bad header
        return PermanentDeliveryError(f"NATS cannot publish to {subject!r}: {exc!r}")
    return RetryableDeliveryError(f"NATS publish to {subject!r} failed: {exc!r}")


class NatsSink:
    """Publish CloudEvents to NATS, binary (``ce-`` headers) or structured (JSON).

    Core mode publishes and flushes, so ``send`` returns once the server has the
    message (core NATS then delivers it at most once, to whoever subscribes now).
    JetStream mode (``jetstream=True``) publishes to a stream and awaits the PubAck,
    with the ``Nats-Msg-Id`` header set to the event id: a retried send inside the
    stream's duplicate window (2 minutes by default) is stored once.

    The subject is a template filled from the event's attributes: ``events.{type}``
    publishes a ``com.example.ping`` event to ``events.com.example.ping``.

    Errors: timeouts, no responders, a connection that is down or reconnecting raise
    ``RetryableDeliveryError``; a subject the server rejects, a payload over the
    server's limit, an event the binding cannot carry raise ``PermanentDeliveryError``.

    Args:
        subject: the subject, or a template with ``{attribute}`` fields.
        servers: ``nats://host:port`` URLs (a list, or comma-separated).
        jetstream: publish to JetStream and await the PubAck.
        mode: ``"binary"`` (default) or ``"structured"``.
        stream: JetStream: the stream the subject must belong to (checked by the server).
        timeout: seconds to wait for the PubAck (or the flush, in core mode).
        name: the client name the server shows.
        connect_options: further ``nats.connect`` keywords (credentials, TLS, ...).
    """

    def __init__(
        self,
        subject: str = "events.{type}",
        *,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
        jetstream: bool = False,
        mode: Literal["binary", "structured"] = "binary",
        stream: str | None = None,
        timeout: float = 5.0,
        name: str = "cesdk-nats-sink",
        connect_options: Mapping[str, Any] | None = None,
    ) -> None:
        if mode not in ("binary", "structured"):
            raise ValueError(f"mode must be 'binary' or 'structured', not {mode!r}")
        self.subject = SubjectTemplate(subject)
        self.servers = server_list(servers)
        self.jetstream = jetstream
        self.mode = mode
        self.stream = stream
        self.timeout = timeout
        self.name = name
        self.connect_options = dict(connect_options or {})
        self._encode = to_binary if mode == "binary" else to_structured
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(
        cls, url: str, mode: Literal["binary", "structured"] = "binary", **options: Any
    ) -> NatsSink:
        """Return a sink for ``nats://host:port/subject`` (what ``cesdk send`` takes).

        The path is the subject (a template is allowed: ``/events.{type}``); the query
        ``?jetstream=true`` publishes to JetStream; ``tls://`` connects with TLS.

        Raises:
            ValueError: a URL without a host or a subject.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("nats", "tls") or not parts.hostname:
            raise ValueError(f"{url!r} is not nats://host:port/subject")
        subject = unquote(parts.path.lstrip("/"))
        if not subject:
            raise ValueError(f"{url!r} names no subject: nats://host:port/SUBJECT")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        options.setdefault("jetstream", query.get("jetstream", "").lower() in _TRUE)
        if "stream" in query:
            options.setdefault("stream", query["stream"])
        server = f"{parts.scheme}://{parts.netloc}"
        return cls(subject, servers=server, mode=mode, **options)

    async def __aenter__(self) -> NatsSink:
        # The peer may come up later: send() tries again, and raises then.
        with contextlib.suppress(CESDKError):
            await self._connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            # Closing anyway; unsent core messages are at most once.
            with contextlib.suppress(Exception):
                await flush_to_server(nc, timeout=2)
            await nc.close()

    async def _connect(self) -> Client:
        async with self._lock:
            if self._nc is None:
                self._nc = await connect(self.servers, name=self.name, options=self.connect_options)
                self._js = self._nc.jetstream(timeout=self.timeout)
            return self._nc

    async def send_batch(self, events: Sequence[CloudEvent]) -> list[BaseException | None]:
        """Publish the events together; return, per event, ``None`` or why it failed.

        In JetStream mode the publishes wait for their PubAcks concurrently; in core
        mode one flush covers them all. Failures are classified as in ``send``.
        """
        outcomes: list[BaseException | None] = [None] * len(events)
        nc = self._nc
        if nc is None:
            try:
                nc = await self._connect()
            except CESDKError as exc:
                return [RetryableDeliveryError(str(exc))] * len(events)
        ready: list[tuple[int, str, Any]] = []
        for index, event in enumerate(events):
            try:
                ready.append((index, self.subject.render(event), self._encode(event)))
            except EncodeError as exc:
                outcomes[index] = PermanentDeliveryError(f"cannot encode event {event.id!r}: {exc}")
            except Exception as exc:  # a subject that cannot be rendered: this event only
                outcomes[index] = exc
        if self.jetstream:
            js = self._js
            assert js is not None
            for index, _, encoded in ready:
                encoded.headers[_MSG_ID] = events[index].id
            results = await asyncio.gather(
                *(
                    js.publish(
                        subject,
                        encoded.data,
                        timeout=self.timeout,
                        stream=self.stream,
                        headers=encoded.headers,
                    )
                    for _, subject, encoded in ready
                ),
                return_exceptions=True,
            )
            for (index, subject, _), result in zip(ready, results, strict=True):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if isinstance(result, BaseException):
                    outcomes[index] = _classify(result, subject)
            return outcomes
        published: list[tuple[int, str]] = []
        for index, subject, encoded in ready:
            try:
                await nc.publish(subject, encoded.data, headers=encoded.headers or None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outcomes[index] = _classify(exc, subject)
            else:
                published.append((index, subject))
        try:
            await flush_to_server(nc, timeout=self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            for index, subject in published:
                outcomes[index] = _classify(exc, subject)
        return outcomes

    async def send(self, event: CloudEvent) -> None:
        """Publish ``event``; in JetStream mode, return once the stream stored it.

        Raises:
            RetryableDeliveryError: the server is unreachable, timed out or had no
                responders (e.g. no stream for the subject).
            PermanentDeliveryError: the event or subject cannot be published.
        """
        subject = self.subject.render(event)
        try:
            message = self._encode(event)
        except EncodeError as exc:
            raise PermanentDeliveryError(f"cannot encode event {event.id!r}: {exc}") from exc
        nc = self._nc
        if nc is None:
            try:
                nc = await self._connect()
            except CESDKError as exc:
                raise RetryableDeliveryError(str(exc)) from exc
        try:
            if self.jetstream:
                assert self._js is not None
                headers = message.headers  # a new dict for each event: ours to extend
                headers[_MSG_ID] = event.id
                await self._js.publish(
                    subject,
                    message.data,
                    timeout=self.timeout,
                    stream=self.stream,
                    headers=headers,
                )
            else:
                await nc.publish(subject, message.data, headers=message.headers or None)
                await flush_to_server(nc, timeout=self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise _classify(exc, subject) from exc
