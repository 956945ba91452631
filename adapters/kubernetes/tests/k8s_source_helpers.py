"""Shared pieces of the Kubernetes source tests: opening sources, reading deliveries."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from cesdk import Delivery
from cesdk.testing import free_port
from cesdk_kubernetes import KubernetesEventSource
from cesdk_kubernetes.testing import FakeApiServer


def event_source(fake: FakeApiServer, **options: Any) -> KubernetesEventSource:
    """A source reading the fake through its kubeconfig (as a user would)."""
    return KubernetesEventSource(kubeconfig=str(fake.kubeconfig_path), **options)


async def take(
    source: Any, count: int, *, timeout: float = 10.0, ack: bool = True
) -> list[Delivery]:
    """Read ``count`` deliveries (acking them unless told not to)."""
    got: list[Delivery] = []
    async with asyncio.timeout(timeout):
        for _ in range(count):
            delivery = await anext(aiter(source))
            if ack:
                await delivery.ack()
            got.append(delivery)
    return got


async def nothing_more(source: Any, fake: FakeApiServer, *, timeout: float = 10.0) -> None:
    """Prove that no delivery is pending: a marker Event written now is the next one out."""
    marker = fake.inject_events(1, reason="Marker", involved_name="marker")[0]
    [delivery] = await take(source, 1, timeout=timeout)
    assert delivery.event is not None
    assert delivery.event["k8sreason"] == "Marker", f"unexpected delivery {delivery.event!r}"
    assert delivery.event.data["metadata"]["name"] == marker["metadata"]["name"]


def ids(deliveries: list[Delivery]) -> list[str]:
    """The CloudEvent ids of decoded deliveries."""
    return [d.event.id for d in deliveries if d.event is not None]


class Receiver:
    """A webhook endpoint on 127.0.0.1: records ``ce-id`` headers; past ``limit``, answers 503."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.limit: int | None = None
        # Only requests whose ``?run=`` is this one count: a killed sender's last request,
        # still queued in the server, must not be taken for the next run's.
        self.run: str | None = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        if self.run is not None and request.query.get("run") != self.run:
            return web.Response(status=503)
        if self.limit is not None and len(self.received) >= self.limit:
            return web.Response(status=503)
        self.received.append(request.headers["ce-id"])
        return web.Response(status=200)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def start_pipeline(config: Path) -> subprocess.Popen[bytes]:
    """``cesdk run config`` in a subprocess (stderr kept for failure messages)."""
    return subprocess.Popen(
        [sys.executable, "-m", "cesdk", "run", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=config.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def alive(child: subprocess.Popen[bytes]) -> None:
    """Fail with the child's stderr if it has exited."""
    if child.poll() is not None:
        assert child.stderr is not None
        raise AssertionError(f"cesdk run exited: {child.stderr.read().decode()[-2000:]}")
