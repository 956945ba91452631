"""/healthz, /readyz and /metrics on the source's own port."""

from __future__ import annotations

import aiohttp

import cesdk
from cesdk_http import HttpSource
from http_source_support import event, running


async def test_health_paths_answer_on_the_source_port() -> None:
    source = HttpSource(port=0, health=True)
    async with running(source) as run:
        source.pipelines.append(run.pipeline)
        await run.post_event(event(1))
        healthz, _, body = await run.post(b"", method="GET", path="/healthz")
        readyz, _, _ = await run.post(b"", method="GET", path="/readyz")
        metrics, headers, text = await run.post(b"", method="GET", path="/metrics")
    assert (healthz, body) == (200, b"ok\n")
    assert readyz == 200
    assert metrics == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    assert b'cesdk_http_requests_total{status="204"} 1' in text
    assert b'cesdk_events_total{outcome="delivered"' in text


async def test_not_ready_before_a_pipeline_reads_the_source() -> None:
    source = HttpSource(port=0, health=True)
    async with (
        source,
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{source.port}/readyz") as response,
    ):
        assert response.status == 503
    assert not source.ready


async def test_health_paths_are_off_by_default() -> None:
    async with running() as run:
        status, _, _ = await run.post(b"", method="GET", path="/healthz")
    assert status == 405
    assert isinstance(run.source, cesdk.Source)
