"""Binary, structured, batch and template bodies; headers; from_url."""

from __future__ import annotations

import asyncio

import orjson
import pytest

import cesdk
from cesdk_webhook import Template, TemplateError, WebhookSink
from webhook_receiver import receiver, sample


async def test_binary_mode() -> None:
    # http-protocol-binding.md 3.1
    async with receiver() as recv, WebhookSink(recv.url) as sink:
        await sink.send(sample(1))
    (request,) = recv.requests
    assert request.method == "POST"
    assert request.headers["ce-id"] == "ev-1"
    assert request.headers["content-type"] == "application/json"
    assert recv.events() == [sample(1)]


async def test_structured_mode() -> None:
    # http-protocol-binding.md 3.2
    async with receiver() as recv, WebhookSink(recv.url, mode="structured") as sink:
        await sink.send(sample(2))
    (request,) = recv.requests
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    assert recv.events() == [sample(2)]


async def test_batch_mode_sends_n_events_per_request() -> None:
    # http-protocol-binding.md 3.3
    async with (
        receiver() as recv,
        WebhookSink(recv.url, mode="batch", batch_size=4, batch_interval=30) as sink,
    ):
        await asyncio.gather(*(sink.send(sample(n)) for n in range(8)))
    assert len(recv.requests) == 2
    assert all(
        r.headers["content-type"].startswith("application/cloudevents-batch") for r in recv.requests
    )
    assert sorted(e.id for e in recv.events()) == sorted(f"ev-{n}" for n in range(8))


async def test_batch_mode_sends_what_t_seconds_bring() -> None:
    async with (
        receiver() as recv,
        WebhookSink(recv.url, mode="batch", batch_size=100, batch_interval=0.05) as sink,
    ):
        await asyncio.gather(*(sink.send(sample(n)) for n in range(3)))
        assert len(recv.requests) == 1  # returned: the partial batch went out
    assert len(recv.events()) == 3


async def test_batch_failure_reaches_every_sender() -> None:
    from webhook_receiver import Answer

    async with receiver() as recv:
        recv.default = Answer(503, {"Retry-After": "2"})
        async with WebhookSink(recv.url, mode="batch", batch_size=3, batch_interval=5) as sink:
            results = await asyncio.gather(
                *(sink.send(sample(n)) for n in range(3)), return_exceptions=True
            )
    assert all(isinstance(r, cesdk.RetryableDeliveryError) for r in results)
    assert all(r.retry_after == 2 for r in results)  # type: ignore[union-attr]


async def test_template_body() -> None:
    template = {
        "text": "{type} on {subject:-?}: {data.reason} (x{data.n})",
        "attributes": {"id": "{id}", "team": "{team:-nobody}"},
        "event": "{data}",
        "count": "{data.n}",
        "literal": "{{not a field}}",
    }
    async with (
        receiver() as recv,
        WebhookSink(recv.url, mode="template", template=template) as sink,
    ):
        await sink.send(sample(3))
    (request,) = recv.requests
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        "text": "io.k8s.event.warning on pod/web-3: BackOff (x3)",
        "attributes": {"id": "ev-3", "team": "nobody"},
        "event": {"reason": "BackOff", "n": 3},
        "count": 3,
        "literal": "{not a field}",
    }


def test_template_missing_field_is_permanent() -> None:
    with pytest.raises(TemplateError, match=r"data\.pod") as caught:
        Template({"text": "{data.pod}"}).render(sample())
    assert isinstance(caught.value, cesdk.PermanentDeliveryError)
    with pytest.raises(ValueError, match="unbalanced"):
        Template("{oops")
    assert Template("{flag}").render(sample(flag=True)) is True
    assert Template("b={blob}").render(sample(blob=b"\x00\xff")) == "b=AP8="


async def test_extra_headers_bearer_token_and_origin() -> None:
    async with (
        receiver() as recv,
        WebhookSink(
            recv.url,
            headers={"X-Team": "ops"},
            bearer_token="t0ken",
            origin="events.example.com",
        ) as sink,
    ):
        await sink.send(sample())
    headers = recv.requests[0].headers
    assert headers["x-team"] == "ops"
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["webhook-request-origin"] == "events.example.com"
    assert headers["user-agent"].startswith("cesdk-webhook/")


async def test_from_url_is_what_cesdk_send_uses() -> None:
    async with receiver() as recv, WebhookSink.from_url(recv.url, mode="structured") as sink:
        await sink.send(sample(4))
    assert recv.events() == [sample(4)]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookSink("ftp://example")
    with pytest.raises(ValueError, match="template"):
        WebhookSink("http://x", mode="template")
    with pytest.raises(ValueError, match="mode"):
        WebhookSink("http://x", mode="carrier-pigeon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="origin"):
        WebhookSink("http://x", handshake=True)


async def test_handshake_before_the_first_event() -> None:
    from cesdk.testing import CapturingSink
    from cesdk_http import HttpSource

    source = HttpSource(port=0, allowed_origins=["events.example.com"])
    got = CapturingSink()
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(got)], dead_letter=CapturingSink())
    async with pipeline:
        await source.wait_ready()
        async with WebhookSink(source.url, origin="events.example.com", handshake=True) as sink:
            await sink.send(sample(5))
        async with WebhookSink(source.url, origin="evil.example", handshake=True) as sink:
            with pytest.raises(cesdk.PermanentDeliveryError, match="did not allow"):
                await sink.send(sample(6))
    assert [e.id for e in got.events] == ["ev-5"]
