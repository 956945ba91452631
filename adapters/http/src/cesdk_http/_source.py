"""``HttpSource``: CloudEvents (and plain-JSON webhooks) over HTTP, as an ASGI application."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Literal

import cesdk
from cesdk_http._decode import RequestError, decode_request, request_headers
from cesdk_http._durable import DurableQueue
from cesdk_http._health import HEALTH_PATHS, health_answer
from cesdk_http._plain_json import JsonWebhook
from cesdk_http._ratelimit import TokenBucket
from cesdk_http._responses import (
    CLOSE,
    Header,
    Receive,
    Scope,
    Send,
    respond,
    respond_problem,
    retry_after_value,
)
from cesdk_http._security import DEFAULT_TOLERANCE, BearerCheck, SignatureCheck
from cesdk_http._server import StandaloneServer
from cesdk_http._settle import Inbox, Ticket, Waiter

__all__ = ["HttpSource"]

_ALLOW: Header = (b"allow", b"POST, OPTIONS")


class _BodyError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class HttpSource:
    """Receive CloudEvents over HTTP: an ASGI application plus a standalone server.

    Accepts binary, structured and batched mode (http-protocol-binding.md 3), or with
    ``mode="json"`` any JSON webhook, wrapped into a CloudEvent by the ``json_*``
    templates. Run by a pipeline, ``async with source`` starts a uvicorn server on
    ``host:port``; mounted in another ASGI application (``serve=False``), it serves
    that application's requests.

    By default a request is answered once the pipeline settled its events: ``204``
    when delivered or dead-lettered, ``503`` with ``Retry-After`` when it could not
    settle them (or while stopping, or with more than ``max_pending`` waiting), so the
    sender keeps every event it was not told was taken. ``respond="accepted"`` answers
    ``202`` as soon as the events are appended to the durable ``queue`` file instead.

    Refusals: ``400`` with an RFC 9457 problem body naming the bad attribute, ``415``
    for a format it does not read, ``413`` over ``max_body``, ``408`` for a body slower
    than ``body_timeout``, ``401`` without a valid bearer token or signature, ``429``
    over ``rate_limit``. A refused message that reached the body still goes to the dead
    letter sink, as an undecodable delivery (``dead_letter_rejected``).

    Args:
        host: the address the standalone server binds.
        port: its TCP port; 0 picks a free one (read ``port`` once entered).
        path: accept events on this path only; any path when ``None``.
        serve: start the standalone server when entered; ``False`` when mounted.
        mode: ``"cloudevents"``, or ``"json"`` to also wrap plain JSON bodies.
        json_type: the type template of wrapped JSON (e.g.
            ``"com.github.{header.x-github-event}"``).
        json_source: the source template; the request path by default.
        json_id: the id template; the ``webhook-id`` header, else a UUID, by default.
        json_subject: the subject template, if any.
        json_time: the time template, if any.
        respond: ``"settled"`` (answer after the pipeline settled) or ``"accepted"``
            (answer ``202`` once queued durably in ``queue``).
        queue: the durable queue file of ``respond="accepted"``.
        queue_fsync: flush each accepted event to disk before answering ``202``.
        max_body: the largest body accepted, in bytes (1 MiB).
        body_timeout: seconds the whole body may take to arrive (slowloris guard).
        settle_timeout: seconds a request waits for settlement before ``503``.
        max_pending: events waiting for the pipeline at most; more get ``503``.
        retry_after: the ``Retry-After`` (seconds) sent with ``503``.
        rate_limit: requests per second accepted at most; more get ``429``.
        rate_burst: requests accepted back to back; ``rate_limit`` rounded up by default.
        bearer_token: accepted bearer token(s) (``Authorization`` or ``access_token``).
        webhook_secret: Standard Webhooks secret(s); several while keys rotate.
        signature_tolerance: seconds a signature's timestamp may be off.
        allowed_origins: origins granted in the abuse-protection handshake
            (http-webhook.md 4); ``["*"]`` grants all; none answers ``OPTIONS`` with 405.
        health: serve ``/healthz``, ``/readyz`` and ``/metrics``.
        dead_letter_rejected: send refused bodies (400/415) to the dead letter sink.
        pipelines: pipelines whose readiness and metrics the health paths report.

    Example:
        >>> source = HttpSource(port=0)  # doctest: +SKIP
        >>> pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(cesdk.ConsoleSink())])
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        path: str | None = None,
        serve: bool = True,
        mode: Literal["cloudevents", "json"] = "cloudevents",
        json_type: str = "dev.cesdk.webhook",
        json_source: str = "{path}",
        json_id: str | None = None,
        json_subject: str | None = None,
        json_time: str | None = None,
        respond: Literal["settled", "accepted"] = "settled",
        queue: str | None = None,
        queue_fsync: bool = True,
        max_body: int = 1 << 20,
        body_timeout: float = 10.0,
        settle_timeout: float = 25.0,
        max_pending: int = 1024,
        retry_after: float = 1.0,
        rate_limit: float | None = None,
        rate_burst: int | None = None,
        bearer_token: str | list[str] | None = None,
        webhook_secret: str | list[str] | None = None,
        signature_tolerance: float = DEFAULT_TOLERANCE,
        allowed_origins: list[str] | None = None,
        health: bool = False,
        dead_letter_rejected: bool = True,
        pipelines: Sequence[cesdk.Pipeline] = (),
    ) -> None:
        if mode not in ("cloudevents", "json"):
            raise ValueError(f"mode must be 'cloudevents' or 'json', got {mode!r}")
        if respond not in ("settled", "accepted"):
            raise ValueError(f"respond must be 'settled' or 'accepted', got {respond!r}")
        if (respond == "accepted") != bool(queue):
            raise ValueError(
                "respond='accepted' needs a durable queue file (queue=PATH), "
                "and a queue is used by respond='accepted' only"
            )
        if max_body < 1 or max_pending < 1 or body_timeout <= 0 or settle_timeout <= 0:
            raise ValueError("max_body, max_pending, body_timeout, settle_timeout must be > 0")
        self.host, self.port, self.path, self.serve = host, port, path, serve
        self.plain_json = (
            JsonWebhook(
                type=json_type, source=json_source, id=json_id, subject=json_subject,
                time=json_time,
            )
            if mode == "json"
            else None
        )  # fmt: skip
        self.respond = respond
        self.max_body, self.body_timeout = max_body, body_timeout
        self.settle_timeout, self.retry_after = settle_timeout, retry_after
        self.bucket = (
            TokenBucket(rate_limit, rate_burst or max(1, math.ceil(rate_limit)))
            if rate_limit
            else None
        )
        tokens, secrets = _as_list(bearer_token), _as_list(webhook_secret)
        self.bearer = BearerCheck(tokens) if tokens else None
        self.signature = SignatureCheck(secrets, tolerance=signature_tolerance) if secrets else None
        self.allowed_origins = {o.strip().lower() for o in allowed_origins or ()}
        self.health = health
        self.dead_letter_rejected = dead_letter_rejected
        self.pipelines = list(pipelines)
        self.statuses: Counter[int] = Counter()
        self._inbox = Inbox(max_pending, retry_after)
        self._queue = DurableQueue(queue, fsync=queue_fsync) if queue else None
        self._server: StandaloneServer | None = None
        self._open = False
        self._reading = False
        self._read = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The standalone server's base URL (the port is known once entered)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path or '/'}"

    async def __aenter__(self) -> HttpSource:
        self._inbox.start()
        if self._queue is not None:
            await self._queue.open()
        self._open = True
        if self.serve:
            self._server = StandaloneServer(
                self, host=self.host, port=self.port, shutdown_timeout=self.settle_timeout
            )
            try:
                await self._server.start()
            except BaseException:
                self._open = False
                self._server = None
                if self._queue is not None:
                    await self._queue.close()
                raise
            self.port = self._server.port
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        self._inbox.stop()
        try:
            if self._server is not None:
                await self._server.close()
        finally:
            self._server = None
            if self._queue is not None:
                await self._queue.close()

    async def __aiter__(self) -> AsyncIterator[cesdk.Delivery]:
        self._reading = True
        self._read.set()
        try:
            if self._queue is not None:
                async for delivery in self._queue.deliveries():
                    yield delivery
            else:
                async for delivery in self._inbox.deliveries():
                    yield delivery
        finally:
            self._reading = False
            self._read.clear()
            self._inbox.stop()

    @property
    def ready(self) -> bool:
        """Whether requests are taken: entered, read by a pipeline, not stopping."""
        return self._open and self._reading and not self._inbox.stopping

    @property
    def pending(self) -> int:
        """Events received and waiting for the pipeline to take them."""
        return len(self._inbox)

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until a pipeline reads the source (after ``async with pipeline``).

        Raises:
            TimeoutError: it was not read within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            await self._read.wait()

    # -- ASGI -----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)

    def _relative_path(self, scope: Scope) -> str:
        path: str = scope.get("path", "/")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        return path

    async def _answer(
        self, send: Send, status: int, headers: Sequence[Header] = (), body: bytes = b""
    ) -> None:
        self.statuses[status] += 1
        await respond(send, status, headers, body)

    async def _problem(
        self,
        send: Send,
        status: int,
        detail: str,
        *,
        headers: Sequence[Header] = (),
        **extra: object,
    ) -> None:
        self.statuses[status] += 1
        await respond_problem(send, status, detail, headers=headers, **extra)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path = self._relative_path(scope)
        if self.health and path in HEALTH_PATHS and method in ("GET", "HEAD"):
            status, content_type, body = health_answer(
                path, ready=self.ready, pipelines=self.pipelines, statuses=self.statuses
            )
            await respond(send, status, [(b"content-type", content_type)], body)
            return
        if self.path is not None and path != self.path:
            await self._problem(send, 404, f"no events are taken at {path}")
        elif method == "POST":
            await self._post(scope, receive, send, path)
        elif method == "OPTIONS":
            await self._options(scope, send)
        else:
            await self._problem(send, 405, f"send events with POST, not {method}", headers=[_ALLOW])

    # -- the abuse-protection handshake (http-webhook.md 4) ---------------------------

    async def _options(self, scope: Scope, send: Send) -> None:
        if not self.allowed_origins:
            await self._problem(send, 405, "no webhook handshake here", headers=[_ALLOW])
            return
        origin = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"webhook-request-origin"),
            None,
        )
        if origin is None:
            await self._problem(
                send, 400, "the handshake needs WebHook-Request-Origin", headers=[_ALLOW]
            )
            return
        if "*" in self.allowed_origins:
            granted = "*"
        elif origin.strip().lower() in self.allowed_origins:
            granted = origin.strip()
        else:
            # No WebHook-Allowed-* headers: that, not the status, says "no" (4.2).
            await self._problem(send, 403, f"origin {origin!r} is not allowed", headers=[_ALLOW])
            return
        rate = str(self.bucket.per_minute) if self.bucket is not None else "*"
        await self._answer(
            send,
            200,
            [
                _ALLOW,
                (b"webhook-allowed-origin", granted.encode("latin-1")),
                (b"webhook-allowed-rate", rate.encode()),
            ],
        )

    # -- events -----------------------------------------------------------------------

    async def _unavailable(self, send: Send, detail: str, delay: float) -> None:
        headers = [(b"retry-after", retry_after_value(delay))]
        if not self._open or self._inbox.stopping:
            headers.append(CLOSE)  # stopping: the next request goes to another instance
        await self._problem(send, 503, detail, headers=headers)

    async def _read_body(self, receive: Receive, declared: str | None) -> bytes:
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _BodyError(413, f"the body is larger than {self.max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _BodyError(400, "the client went away before the body ended")
                    chunk: bytes = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        raise _BodyError(413, f"the body is larger than {self.max_body} bytes")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise _BodyError(
                408, f"the body did not arrive within {self.body_timeout:g}s"
            ) from None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _post(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        if not self._open or self._inbox.stopping:
            await self._unavailable(send, "the source is not taking events now", self.retry_after)
            return
        if self.bucket is not None:
            wait = self.bucket.take()
            if wait:
                await self._problem(
                    send, 429, "rate limit exceeded",
                    headers=[(b"retry-after", retry_after_value(wait))],
                )  # fmt: skip
                return
        fields, pairs, refusal = request_headers(scope["headers"])
        query: bytes = scope.get("query_string", b"")
        if self.bearer is not None:
            reason = self.bearer.problem(fields.get("authorization"), query)
            if reason is not None:
                await self._problem(send, 401, reason, headers=[(b"www-authenticate", b"Bearer")])
                return
        try:
            body = await self._read_body(receive, fields.get("content-length"))
        except _BodyError as exc:
            await self._problem(send, exc.status, str(exc), headers=[CLOSE])
            return
        if self.signature is not None:
            reason = self.signature.problem(fields, body)
            if reason is not None:
                await self._problem(send, 401, reason)
                return
        if refusal is None:
            try:
                events = decode_request(
                    fields, body, plain_json=self.plain_json,
                    query=query, path=path,
                )  # fmt: skip
            except RequestError as exc:
                refusal = exc
        raw = cesdk.RawMessage(body, pairs, {"method": "POST", "path": path})
        if refusal is not None:
            await self._refuse(send, refusal, raw)
        elif self._queue is not None:
            await self._accept(send, events)
        else:
            await self._settle(send, events, raw)

    async def _accept(self, send: Send, events: list[cesdk.CloudEvent]) -> None:
        assert self._queue is not None  # only called with a queue
        for event in events:
            await self._queue.put(event)
        await self._answer(send, 202)

    async def _settled(
        self,
        events: Sequence[cesdk.CloudEvent | None],
        raw: cesdk.RawMessage,
        error: Exception | None = None,
    ) -> tuple[float, str] | None:
        """Queue the events and wait: ``None`` once settled, else the delay and why."""
        inbox = self._inbox
        if not inbox.has_room(len(events)):
            return self.retry_after, "too many events are waiting; retry later"
        waiter = Waiter(len(events), time.monotonic() + self.settle_timeout)
        for event in events:
            inbox.put(Ticket(inbox, waiter, event, raw, error))
        unsettled = "the events could not be settled now; retry"
        try:
            async with asyncio.timeout(self.settle_timeout):
                delay = await waiter.future
        except TimeoutError:
            return self.retry_after, f"{unsettled} (not settled within {self.settle_timeout:g}s)"
        return None if delay is None else (delay, unsettled)

    async def _settle(
        self, send: Send, events: list[cesdk.CloudEvent], raw: cesdk.RawMessage
    ) -> None:
        refused = await self._settled(events, raw)
        if refused is None:
            await self._answer(send, 204)
        else:
            await self._unavailable(send, refused[1], refused[0])

    async def _refuse(self, send: Send, refusal: RequestError, raw: cesdk.RawMessage) -> None:
        # The sender learns why; with dead_letter_rejected the bytes are kept as well.
        if self.dead_letter_rejected and self._queue is None:
            cause = refusal.__cause__ if isinstance(refusal.__cause__, Exception) else refusal
            refused = await self._settled([None], raw, cause)
            if refused is not None:
                await self._unavailable(send, refused[1], refused[0])
                return
        await self._problem(send, refusal.status, refusal.detail, **refusal.members())


async def _lifespan(receive: Receive, send: Send) -> None:
    # Served as the root application of someone else's server: nothing to set up.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
