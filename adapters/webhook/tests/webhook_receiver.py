"""A real aiohttp.web receiver for the webhook sink tests: records and answers on script."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

import cesdk
from cesdk.bindings import http
from cesdk.testing import free_port


@dataclass
class Request:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """What the receiver answers: status, headers, body; ``hold`` never answers."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hold: bool = False


class Receiver:
    """Record every request; answer from ``script`` (then ``default``)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.script: list[Answer] = []
        self.default = Answer()
        self.port = free_port()
        self.changed = asyncio.Condition()
        self.release = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self) -> list[cesdk.CloudEvent]:
        """Decode every recorded POST as CloudEvents (binary, structured or batch)."""
        out: list[cesdk.CloudEvent] = []
        for request in self.requests:
            if request.method != "POST":
                continue
            if request.headers.get("content-type", "").startswith("application/cloudevents-batch"):
                out.extend(http.from_http_batch(request.headers, request.body))
            else:
                out.append(http.from_http(request.headers, request.body))
        return out

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Request]:
        """Wait until ``count`` requests arrived."""
        async with asyncio.timeout(timeout), self.changed:
            await self.changed.wait_for(lambda: len(self.requests) >= count)
        return self.requests

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Request(
                request.method,
                request.path_qs,
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        async with self.changed:
            self.changed.notify_all()
        answer = self.script.pop(0) if self.script else self.default
        if answer.hold:
            await self.release.wait()
        return web.Response(status=answer.status, headers=answer.headers, body=answer.body)


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    """Serve a ``Receiver`` on a free loopback port."""
    recv = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recv.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", recv.port)
    await site.start()
    try:
        yield recv
    finally:
        recv.release.set()
        await runner.cleanup()


def sample(n: int = 0, **extensions: object) -> cesdk.CloudEvent:
    """A sample event with a fixed time."""
    return cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        id=f"ev-{n}",
        subject=f"pod/web-{n}",
        time="2024-05-14T09:21:07.482913Z",
        data={"reason": "BackOff", "n": n},
        extensions=extensions,
    )
