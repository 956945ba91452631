"""``WebhookSink``: POST events to an HTTP endpoint with aiohttp."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

import aiohttp
import orjson

import cesdk
from cesdk.bindings import http as http_binding
from cesdk_webhook._batch import Batcher
from cesdk_webhook._outcome import raise_for_answer
from cesdk_webhook._signing import Signer, message_id
from cesdk_webhook._template import Template

__all__ = ["WebhookSink"]

log = logging.getLogger("cesdk.webhook")

Mode = Literal["binary", "structured", "batch", "template"]
_MODES = ("binary", "structured", "batch", "template")


class WebhookSink:
    """POST each event to ``url``: CloudEvents binary or structured mode, batches, or a
    JSON body of your own.

    Connections are pooled and kept alive. Redirects are never followed
    (http-webhook.md 2.2). The answer decides the outcome: 2xx delivered; 408, 429, 5xx,
    timeouts and connection errors raise ``RetryableDeliveryError`` with the
    ``Retry-After`` the receiver sent; 3xx, 410 (the target retired: logged as an error,
    and no further events are sent) and other 4xx raise ``PermanentDeliveryError`` with
    the start of the answer's body, which the dead letter keeps as its reason.

    Args:
        url: the target, ``http://`` or ``https://``.
        mode: ``"binary"`` (``ce-`` headers), ``"structured"`` (the JSON format),
            ``"batch"`` (the JSON batch format) or ``"template"`` (``template``).
        template: the JSON body of ``mode="template"``: strings name attributes and
            data, e.g. ``{"text": "{type} on {subject}: {data.reason}"}``.
        batch_size: events per request in batch mode.
        batch_interval: seconds a batch waits for more events before it goes out.
        timeout: seconds one request may take, connecting included.
        headers: extra headers sent with every request.
        bearer_token: sent as ``Authorization: Bearer ...`` (http-webhook.md 3.1).
        signing_secret: a Standard Webhooks secret; requests carry ``webhook-id``,
            ``webhook-timestamp`` and ``webhook-signature``.
        origin: sent as ``WebHook-Request-Origin`` (http-webhook.md 2.1 and 4).
        handshake: before the first event, ask the target for permission with the
            abuse-protection handshake (``OPTIONS``, http-webhook.md 4); needs ``origin``.
        max_connections: connections to the target at most.
        session: an ``aiohttp.ClientSession`` to use instead of an own one (not closed).

    Example:
        >>> sink = WebhookSink("https://hooks.example.com/in", signing_secret="whsec_...")
        ... # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        mode: Mode = "binary",
        template: Any = None,
        batch_size: int = 100,
        batch_interval: float = 1.0,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        bearer_token: str | None = None,
        signing_secret: str | None = None,
        origin: str | None = None,
        handshake: bool = False,
        max_connections: int = 100,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"the webhook URL must start with http:// or https://, got {url!r}")
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
        if (mode == "template") != (template is not None):
            raise ValueError("give a template with mode='template', and only then")
        if handshake and not origin:
            raise ValueError("the handshake needs origin=<your DNS name>")
        if timeout <= 0 or max_connections < 1:
            raise ValueError("timeout must be > 0 and max_connections >= 1")
        self.url, self.mode, self.timeout = url, mode, timeout
        self.template = Template(template) if template is not None else None
        self.signer = Signer(signing_secret) if signing_secret else None
        self.origin, self.handshake = origin, handshake
        self.max_connections = max_connections
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.headers.setdefault("user-agent", f"cesdk-webhook/{cesdk.__version__}")
        if bearer_token:
            self.headers["authorization"] = f"Bearer {bearer_token}"
        if origin:
            self.headers["webhook-request-origin"] = origin
        self._given_session = session
        self._session: aiohttp.ClientSession | None = None
        self._batcher = (
            Batcher(self._post_batch, size=batch_size, interval=batch_interval)
            if mode == "batch"
            else None
        )
        self._gone = False
        self._granted: bool | None = None
        self._handshake_lock = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, *, mode: str = "binary", **options: Any) -> WebhookSink:
        """Return a sink for ``url`` (what ``cesdk send`` calls for a plugin target)."""
        return cls(url, mode=mode, **options)  # type: ignore[arg-type]  # checked in __init__

    def __repr__(self) -> str:
        return f"WebhookSink({self.url!r}, mode={self.mode!r})"

    async def __aenter__(self) -> WebhookSink:
        if self._given_session is not None:
            self._session = self._given_session
        elif self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                auto_decompress=True,
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._batcher is not None:
                await self._batcher.close()
        finally:
            session, self._session = self._session, None
            if session is not None and session is not self._given_session:
                await session.close()

    async def send(self, event: cesdk.CloudEvent) -> None:
        """Deliver one event (in batch mode: with its batch).

        Raises:
            cesdk.RetryableDeliveryError: worth retrying (408/429/5xx, network errors).
            cesdk.PermanentDeliveryError: not worth retrying (3xx, 410, other 4xx).
            cesdk.EncodeError: the event's data cannot be written in binary mode.
        """
        if self._batcher is not None:
            await self._batcher.add(event)
            return
        if self.mode == "binary":
            message = http_binding.to_binary(event)
        elif self.mode == "structured":
            message = http_binding.to_structured(event)
        else:
            assert self.template is not None  # mode "template"
            body = orjson.dumps(self.template.render(event))
            message = http_binding.HttpMessage({"content-type": "application/json"}, body)
        await self._post(message, (event,))

    async def _post_batch(self, events: Sequence[cesdk.CloudEvent]) -> None:
        await self._post(http_binding.to_batch(events), events)

    async def _post(
        self, message: http_binding.HttpMessage, events: Sequence[cesdk.CloudEvent]
    ) -> None:
        if self._gone:
            raise cesdk.PermanentDeliveryError(f"{self.url} answered 410 Gone before: not sent")
        session = self._session
        if session is None:
            raise cesdk.RetryableDeliveryError("the webhook sink is not open (use async with)")
        if self.handshake and not self._granted:
            await self._ask_permission(session)
        headers = {**self.headers, **message.headers}
        if self.signer is not None:
            headers.update(self.signer.headers(message_id(events), message.body))
        try:
            async with session.post(
                self.url, data=message.body, headers=headers, allow_redirects=False
            ) as response:
                if 200 <= response.status < 300:
                    return
                if response.status == 410:
                    self._gone = True
                body = await response.content.read(4096)
                raise_for_answer(
                    self.url, response.status, response.reason or "", response.headers, body
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise cesdk.RetryableDeliveryError(
                f"{self.url}: {type(exc).__name__}: {exc or 'timed out'}"
            ) from exc

    async def _ask_permission(self, session: aiohttp.ClientSession) -> None:
        async with self._handshake_lock:
            if self._granted:
                return
            assert self.origin is not None  # checked in __init__
            try:
                async with session.options(
                    self.url,
                    headers={"webhook-request-origin": self.origin},
                    allow_redirects=False,
                ) as response:
                    allowed = response.headers.get("webhook-allowed-origin")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise cesdk.RetryableDeliveryError(
                    f"{self.url}: the webhook handshake failed: {exc!r}"
                ) from exc
            if allowed not in ("*", self.origin):
                raise cesdk.PermanentDeliveryError(
                    f"{self.url} did not allow origin {self.origin!r} in the webhook handshake "
                    "(http-webhook.md 4.2)"
                )
            self._granted = True
